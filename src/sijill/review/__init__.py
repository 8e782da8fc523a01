"""Reviews: people's judgements of items, claims and machine links, and how far they agree.

`vocabulary` names the questions and scales, `service` records and shows judgements (blind
until you answered), `agreement` measures agreement per question (Krippendorff's alpha)."""
