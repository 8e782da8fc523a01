"""Words that carry no fact on their own, for `claims.looks_factual`'s content rule.

A sentence with no concrete marker (number, date word, place cue, action verb, capitalised
name) is still a claim when it has at least two *content* words: words that are not grammar
(pronouns, articles, prepositions, auxiliaries, particles), not feelings or judgements
("afraid", "hard", "خائف", "difficile"), not verbs of thinking or wanting, and not vague
("thing", "happened", "شيء"). Arabic writes no capitals, so without this rule "أخذ سامي
المال" had no marker for the name and was lost; the rule is the same in all three languages.

All words are stored normalised (`text.normalise.normalize`: case folded, accents and
harakat removed, Arabic letter forms unified); Arabic clitics (و ف ب ل ك ال, and pronoun
endings) are stripped before a word is looked up.
"""

from __future__ import annotations

from sijill.text.normalise import normalize

_EN = """
a an the this that these those there here it its it's itself i i'm i've i'd i'll me my
mine myself we we're we've us our ours ourselves you you're your yours yourself
yourselves he he's him his himself she she's her hers herself they they're they've them
their theirs themselves one ones someone somebody something anyone anybody anything
everyone everybody everything nobody nothing no none not n't don't didn't doesn't
isn't wasn't weren't aren't haven't hasn't hadn't can't cannot couldn't won't wouldn't
shouldn't mustn't am is are was were be been being have has had having do does did
doing done will would shall should can could may might must ought of in on at by for
with without to from into onto upon about above below over under after before between
through during since until till against among around along across toward towards than
as like and or but nor so yet if then else because while although though whether
when where why how what which who whom whose very really quite rather too so much many
more most less least few little lot lots some any all both each every other another
such same own just only even also still already again ever never always often
sometimes usually maybe perhaps probably actually simply almost enough well now then
today later soon ago yes yeah oh ah okay ok please thanks thank sorry way thing things
stuff kind sort bit lot place time times happened happen happens happening get got
gets getting go goes went gone going come came comes coming make made makes let lets
say said says tell told think thought believe believed know knew known feel felt
feeling want wanted wish hope hoped like liked love loved hate hated seem seemed seems
mean meant guess suppose need needed try tried look looked looks
afraid scared frightened terrified fear fears happy unhappy sad angry upset worried
anxious nervous tired exhausted hungry thirsty lonely glad lucky unlucky proud ashamed
sure unsure certain true false real important possible impossible hard difficult easy
terrible horrible awful bad worse worst good better best nice fine great beautiful
ugly strange weird normal different similar big small large huge long short old new
young sick ill dangerous safe painful sorry crazy
"""
_FR = """
le la les l' un une des du de d' au aux ce cet cette ces ça cela ceci celui celle ceux
celles je j' me m' moi tu te t' toi il elle on nous vous ils elles se s' lui leur eux
soi y en mon ma mes ton ta tes son sa ses notre nos votre vos leurs mien mienne
quelqu'un quelque quelques chose choses rien personne tout tous toute toutes aucun
aucune chaque autre autres même mêmes ne n' pas plus jamais guère point non oui si
être été suis es est sommes êtes sont étais était étions étiez étaient serai sera
serons seront serait seraient sois soit soyons fut furent avoir eu ai as a avons
avez ont avais avait avions aviez avaient aurai aura aurons auront aurait auraient
aie ait eût faire fait fais faisait faisaient font aller va vais allait allé allée
allés venir venu venait vient dire dit disait dis pouvoir peux peut pouvait pu
vouloir veux veut voulait voulu devoir dois doit devait dû falloir faut fallait savoir
sais sait savait su croire crois croit croyait cru penser pense pensais pensait pensé
sentir sens sent sentais sentait senti aimer aime aimais aimait aimé sembler semble
semblait espérer espère espérais à dans par pour sur sous avec sans vers chez entre
contre depuis pendant avant après selon parmi envers et ou mais donc or ni car que qu'
qui quoi dont où quand comme comment pourquoi lorsque puisque parce si alors ainsi
puis ensuite enfin très vraiment trop beaucoup peu assez plutôt bien mal mieux aussi
encore déjà toujours souvent parfois jamais seulement juste presque maintenant
aujourd'hui ici là voilà bon ben bah oh ah merci pardon d'accord truc trucs façon
manière fois passé arrivé arrive arrivait
peur heureux heureuse triste tristes content contente contents fâché fâchée inquiet
inquiète fatigué fatiguée fatigués épuisé faim soif seul seule fier fière honte sûr
sûre certain certaine vrai vraie faux fausse important importante possible impossible
difficile difficiles dur dure durs facile terrible terribles horrible horribles
affreux affreuse mauvais mauvaise meilleur meilleure bien beau belle beaux joli jolie
grand grande petit petite gros grosse vieux vieille nouveau nouvelle jeune malade
dangereux dangereuse normal normale étrange bizarre différent pareil
"""
_AR = """
انا نحن انت انتم انتن انتما هو هي هم هن هما اياه اياها اياهم اياي ايانا ني نا ه ها
كان كانت كنت كنا كانوا كن يكون تكون اكون نكون يكونوا صار صرت صرنا اصبح اصبحت اصبحنا
ليس ليست لست لسنا ليسوا لم لن لا ما ماذا من منذ مذ في على علي الى الي عن مع عند
لدي لدينا لدى حتى بين بعد قبل خلال حول دون ضد تحت فوق امام وراء خلف لـ هذا هذه
هذان هاتان هؤلاء ذلك ذاك تلك اولئك هناك هنا هنالك الذي التي الذين اللذان اللتان
اللواتي اللاتي ان انه انها انهم انني اننا او ام ثم قد لقد لكن لكنه لكني بل اذا لو
لولا كي لكي حيث كيف متى اين لماذا كم اي كل كلنا كلهم بعض بعضنا بعضهم كثير كثيرا
كثيرة قليل قليلا جدا ايضا فقط ابدا دائما احيانا الان الآن اليوم غدا ربما طبعا نعم
لا شكرا يعني هكذا كذلك مثل غير سوى اما الا شي شيء شيئا اشياء احد احدا امر امور
حدث حصل يحدث يحصل قال قالت قلت قلنا قالوا يقول تقول اقول نقول اعتقد اظن ظننت افكر
فكرت اعرف عرفت نعرف يعرف اعلم علمت اريد اردت نريد يريد احب احببت نحب يحب اكره اشعر
شعرت نشعر يشعر شعور ارجو اتمنى تمنيت نتمنى رايي يبدو بدا
خايف خايفا خايفه خايفين خوف الخوف حزين حزينا حزينه سعيد سعيدا سعيده فرح فرحان غاضب
قلق قلقا تعبان تعبانه متعب متعبا متعبه جايع عطشان وحيد وحيدا فخور خجلان متاكد
متاكده صحيح صحيحه مهم مهمه ممكن مستحيل صعب صعبا صعبه سهل سهله فظيع فظيعا فظيعه
مخيف مخيفا مخيفه مرعب مرعبا مرعبه سيء سيي سييه جيد جيدا جيده حلو جميل جميله كبير
كبيره صغير صغيره قديم جديد مريض خطير خطيره طبيعي غريب مختلف الوقت وقت طوال طول
"""

LATIN_NOISE = frozenset(normalize(w) for w in f"{_EN} {_FR}".split())
ARABIC_NOISE = frozenset(normalize(w) for w in _AR.split())

_AR_PREFIXES = ("وال", "فال", "بال", "كال", "لل", "ال", "و", "ف", "ب", "ل", "ك")
_AR_SUFFIXES = ("هما", "كم", "هم", "هن", "نا", "ها", "ني", "ه", "ي", "ك")


def arabic_is_noise(word: str) -> bool:
    """Whether a normalised Arabic word, with its clitics taken off, carries no fact."""
    if word in ARABIC_NOISE:
        return True
    for prefix in _AR_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            rest = word[len(prefix) :]
            if rest in ARABIC_NOISE:
                return True
            for suffix in _AR_SUFFIXES:
                if rest.endswith(suffix) and rest[: -len(suffix)] in ARABIC_NOISE:
                    return True
            break  # the longest prefix only: "وال" is not also "و" + "ال…"
    for suffix in _AR_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            if word[: -len(suffix)] in ARABIC_NOISE:
                return True
    return False
