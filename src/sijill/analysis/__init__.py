"""Analysis services: sentence embeddings and, later, claims and the links between them."""
