"""Boilerplate rule tables: data, not code. One table per language; "*" applies to every language.

A rule is (family, pattern, max_words, needs): the pattern is matched against one stripped
line, case-insensitively unless the family is listed in CASE_SENSITIVE; max_words, when set,
bounds the words of a line the rule may remove; needs, when set, is text every match
contains (a fast pre-check). A line goes to the first rule that matches, in table
order (comment prompts before sign-in prompts, so a thread's closing line opens the
thread). Block openers remove their line and the short non-blank lines under it (a teaser
list); `to_end` blocks run to the end of the text.

Families: caption, teaser, advert, prompt, trailer, byline, update_note, comments, nav,
headline (the headline or standfirst repeated at the top, decided in clean.py) and learned
(outlet boilerplate learned from the corpus, boilerplate.py).
"""

from __future__ import annotations

from typing import NamedTuple


class Rule(NamedTuple):
    family: str
    pattern: str
    max_words: int | None = None
    # text every line the rule matches contains (casefolded): a line without it skips the
    # rule, so a pattern that must scan the whole line ("... contributed to this report")
    # costs a substring search on the other lines, not a regex pass
    needs: str = ""
    # the longest line the pattern can match, when it ends in `$` and is bounded: longer
    # lines skip the rule without a regex pass (tests/test_clean.py checks each figure
    # against the pattern)
    max_chars: int | None = None


class Block(NamedTuple):
    family: str
    pattern: str
    to_end: bool = False  # the block runs to the end of the text (a comment thread)


FAMILIES = (
    "caption",
    "teaser",
    "advert",
    "prompt",
    "trailer",
    "byline",
    "update_note",
    "comments",
    "nav",
    "headline",
    "learned",
)

# families whose patterns rely on capitalisation (names, wire-photo credits)
CASE_SENSITIVE = frozenset({"caption", "byline"})

AGENCIES = (
    r"Getty(?: Images)?|AFP|AP|Reuters|REUTERS|EPA|EPA-EFE|PA(?: Wire| Images| Media)?|"
    r"Shutterstock|Alamy|Bloomberg|NurPhoto|SOPA Images|Anadolu|Xinhua|Sipa|REX|Zuma|iStock|"
    r"WireImage|GETTY|AAP|Associated Press|Handout|Supplied|Facebook|Twitter|Instagram"
)
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*\.?"
# a name: capitalised words, with the particles names carry
_NAME = r"[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|de|van|von|der|da|del|bin|al|and|&))*"
# what may follow a byline's name: a role, an outlet, a reading time
_ROLE = r"(?:\s*[,|•·]\s*(?:[A-Z0-9][\w.'’&-]*|of|the|for|and|in|at|on|min|read)(?:\s+(?:[A-Z0-9][\w.'’&-]*|of|the|for|and|in|at|on|min|read))*)*"
_SHARE_WORD = r"(?:Share|Tweet|Email|E-mail|Print|Copy link|Save|Facebook|Twitter|X|WhatsApp|LinkedIn|Reddit|Pinterest|Telegram|Messenger|Flipboard|Comments?)"

RULES: dict[str, tuple[Rule, ...]] = {
    "*": (
        # captions and photo credits: "Name Surname/Getty Images", "REUTERS/Name"
        Rule(
            "caption",
            rf"^(?:[\w.'’-]+\s+){{0,4}}[\w.'’-]+\s*/\s*(?:{AGENCIES})(?:\s+via\s+.{{1,40}})?\.?$",
            needs="/",
        ),
        Rule("caption", rf"^(?:\(?(?:{AGENCIES})\)?)$", max_chars=18),
        Rule(
            "caption",
            r"^.{3,400}\bREUTERS/[A-Z][\w .'’-]{1,40}(?:/File(?: Photo)?)?\.?$",
            needs="reuters/",
            max_chars=461,
        ),
        # copyright lines
        Rule(
            "trailer",
            r"^(?:©|\(c\)\s*\d{4}|Copyright\s*(?:\(c\)|©)?\s*\d{4}|Copyright\s*©).{0,120}$",
            25,
        ),
        Rule("trailer", r"^\S+@\S+\.\w{2,}$"),
        # wire and press-release end marks: "(END)", "-ends-", "###"
        Rule("trailer", r"^(?:\(ENDS?\)|-\s*ENDS?\s*-|#{3})$"),
        Rule("nav", r"^(?:Home|News)(?:\s*[>»/|›]\s*[\w &'’.-]{1,30}){1,6}$"),
        # a social profile link on a line of its own, in any language: "Facebook: https://fb.me/x"
        Rule(
            "prompt",
            r"^(?:[^\s/]+\s+){0,4}(?:https?://)?(?:www\.)?(?:facebook\.com|fb\.me|fb\.com|twitter\.com|x\.com|instagram\.com|t\.me|youtube\.com|tiktok\.com|line\.me|linkedin\.com|threads\.net|bsky\.app)/\S*$",
        ),
    ),
    "en": (
        # captions and photo credits
        Rule(
            "caption",
            r"^\(?(?:Photo|Picture|Image|Credit|Photograph|Pic|Video)s?(?: (?:credit|caption|source))?\s*[:/,]\s*.{1,200}$",
            40,
        ),
        Rule(
            "caption",
            r"^\(?(?:Photo|Picture|Image|Photograph)s? (?:by|courtesy of|via)\s.{1,100}$",
            20,
            max_chars=125,
        ),
        Rule(
            "caption",
            r"^.{0,300}\((?:Image|Images|Picture|Pictures|Photo|Photos|Pic|Credit)s?:\s*[^)]{1,60}\)\s*$",
        ),
        Rule("caption", r"^(?:Pictured|PICTURED|FILE PHOTO|File photo)\s*:.{1,300}$"),
        # a caption without a credit: "Pictured at the scene.", "Photo outside the court"
        Rule(
            "caption",
            r"^(?:Pictured|Photographed|Photo|Picture|Image) (?:at|in|on|during|outside|inside|with|here|above|below|left|right|from|after|before|alongside|near)\b[^.!?]{0,150}[.]?$",
            20,
            max_chars=173,
        ),
        Rule(
            "caption",
            r"^[A-Z][A-Z .,'’-]{2,40}(?:, [A-Z .]{2,30})? - (?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]* \d{1,2}(?:, \d{4})?: .+$",
        ),
        # comment threads and forum chrome
        Rule(
            "comments",
            r"^(?:Sign In or Register to comment|Log in to comment|Comments are closed|Show comments|View comments|Load (?:more )?comments|Add a comment|Post a comment|Leave a comment|Write a comment|Be the first to comment|View all comments|Hide comments)\.?$",
            max_chars=31,
        ),
        Rule("comments", r"^(?:Show|View|Load) \d+ (?:more )?(?:replies|reply|comments?)$"),
        Rule(
            "comments",
            r"^(?:Comments|All comments) (?:are|will be) (?:moderated|closed|reviewed)\b.{0,200}$",
            max_chars=230,
        ),
        Rule(
            "comments",
            r"^By (?:posting|commenting|submitting)\b.{0,200}\b(?:terms|rules|guidelines|policy)\b.{0,80}$",
            max_chars=303,
        ),
        Rule("comments", r"^Sort by\b.{0,40}$", 8, max_chars=47),
        Rule(
            "comments",
            r"^(?:Reply|Report|Like|Flag|Upvote|Downvote|Recommend)(?:\s*[|·•]?\s*(?:Reply|Report|Like|Share|Flag|Upvote|Downvote|Recommend|\d+))*$",
        ),
        Rule(
            "comments",
            r"^(?:Newest|Oldest|Most liked|Best|Top)(?:\s*[|·•]\s*(?:Newest|Oldest|Most liked|Best|Top))+$",
        ),
        # teaser, related and read-more blocks
        Rule(
            "teaser",
            r"^(?:READ MORE|SEE MORE|READ ALSO|ALSO READ|MORE|RELATED|RELATED ARTICLES?|RECOMMENDED|WATCH|TRENDING|LATEST|MOST READ|READ NEXT|UP NEXT|SEE ALSO)\s*[:>»|-].{0,200}$",
        ),
        Rule(
            "teaser",
            r"^(?:Read more|See more|Also read|Read also|See also|Related|Related articles?|Related stories|Recommended|More on this story|Read next|Up next|Next article|Most read(?: in .{1,40})?)\s*(?:[:>»|-].{0,200})?[.…]*$",
        ),
        # a gallery link left after the story: "See more photos:", "View all pictures"
        Rule(
            "teaser",
            r"^(?:See|View|Watch) (?:more|all|the) (?:photos|pictures|pics|images|videos?|gallery)(?: (?:here|below))?\s*[:.…]*$",
        ),
        Rule(
            "teaser",
            r"^(?:Click here|Read the full story|Continue reading|Tap here)\b.{0,80}$",
            max_chars=99,
        ),
        Rule(
            "teaser",
            r"^.{3,200}\[(?:INSIGHT|VIDEO|MAPPED|POLL|PICTURES|PHOTOS|PICS|LATEST|REVEALED|ANALYSIS|LIVE|REPORT|SPECIAL|REACTION|COMMENT|EXPLAINED|QUIZ|GALLERY|OPINION|EXCLUSIVE)\]$",
            max_chars=211,
        ),
        Rule(
            "teaser",
            r"^.{0,80}\b(?:in this link|at this link|at the link below|see link)\b[^.]{0,20}[.…]*$",
            needs="link",
        ),
        # a widget's placeholder text: "Loading weather data ...", "Loading comments…"
        Rule("nav", r"^Loading\b[\w ]{0,40}(?:\.\.\.|…)$", 6, max_chars=50),
        # advertising chrome
        Rule(
            "advert",
            r"^(?:Advertisement|Advert|Ad|Sponsored(?: content)?|Paid content|Promoted(?: content)?|(?:Story|Article) continues below(?: (?:this )?advert(?:isement)?)?|Continue reading (?:the main story|below)|Scroll to continue(?: with content)?)(?:\s*[-–—:]\s*(?:scroll to continue(?: reading)?|continue reading below))?\.?$",
        ),
        # share, follow, sign-in and newsletter prompts
        Rule(
            "prompt",
            r"^(?:Sign in|Log in|Login|Register|Subscribe|Sign up)\b.{0,60}\b(?:comment|comments|newsletter|continue|free|account|inbox|alerts?|briefing|emails?)\b.{0,60}$",
            max_chars=139,
        ),
        Rule(
            "prompt",
            r"^(?:Follow|Like) (?:us|@?[\w.]+(?: [\w.]+){0,3}) on (?:Twitter|Facebook|X|Instagram|LinkedIn|Threads|TikTok|Bluesky|YouTube|WhatsApp|Google News)\b.{0,80}$",
        ),
        Rule("prompt", r"^Follow @\w+.{0,60}$", 12),
        Rule(
            "prompt",
            r"^(?:Share|Share this|Share on|Tweet|Email|Print)(?: (?:this|article|story|page|on \w+|via \w+))?[:!.]?$",
        ),
        Rule("prompt", rf"^(?:{_SHARE_WORD}(?:\s*[|•·,/]\s*|\s+)){{1,9}}{_SHARE_WORD}$"),
        Rule(
            "prompt",
            r"^.{0,60}\b(?:sign up|subscribe) (?:to|for) (?:our|the|my) .{0,40}newsletters?\b.{0,80}$",
            needs="newsletter",
            max_chars=209,
        ),
        Rule(
            "prompt",
            r"^Already (?:a subscriber|have an account|registered)\?.{0,60}$",
            max_chars=84,
        ),
        Rule("prompt", r"^(?:Download|Get) (?:our|the) .{0,30}\bapp\b.{0,60}$", 20, max_chars=106),
        Rule(
            "prompt",
            r"^(?:Got a story|Have you got a story|Do you have a story|Got a news tip|Have a news tip|Have your say)\b.{0,200}$",
            max_chars=220,
        ),
        Rule("prompt", r"^We use your sign-up\b.{0,300}$", max_chars=319),
        Rule(
            "prompt",
            r"^(?:Invalid email|Something went wrong, please try again later|Thank you for subscribing|Thanks for subscribing|Listen to this article|Enable notifications)\b.{0,60}$",
            max_chars=104,
        ),
        # trailers: source lines, wire credits, copyright
        Rule("trailer", r"^(?:source|sources)\s*:\s*\S.{0,80}$", 12),
        Rule(
            "trailer",
            r"^\((?:Reporting|Additional reporting|Writing|Editing|Compiled|Graphic|Production) by .{1,250}\)$",
            max_chars=276,
        ),
        Rule(
            "trailer",
            r"^(?:Additional )?Reporting by [^.]{1,150}(?:;|Editing by)[^.]{0,150}\.?$",
            max_chars=335,
        ),
        Rule(
            "trailer", r"^(?:With )?additional reporting (?:by|from) .{1,120}$", 20, max_chars=151
        ),
        # "CNN's A, B and C contributed to this report.": any number of names
        Rule(
            "trailer",
            r"^(?:[\w.'’-]+,? ){1,40}(?:contributed|also contributed) to this (?:report|story|article)\.?$",
            50,
            needs="contributed to this",
        ),
        Rule("trailer", rf"^[-–—]\s*(?:{AGENCIES}|CNN|BBC)\.?$"),
        Rule(
            "trailer",
            r"^.{0,80}\bAll rights reserved\.?$",
            needs="all rights reserved",
            max_chars=100,
        ),
        Rule(
            "trailer",
            r"^This material may not be published, broadcast, rewritten,? or redistributed\.?$",
            max_chars=75,
        ),
        Rule("trailer", r"^(?:Topics|Tags|Filed under|Categories|Related topics)\s*:.{0,200}$"),
        Rule("trailer", r"^(?:Related topics|More about this story)$", max_chars=21),
        Rule(
            "trailer",
            r"^(?:Contact|Email|E-mail) (?:the )?(?:author|reporter|writer|us)\b.{0,80}$",
            max_chars=100,
        ),
        # "Write to Jane Doe at jane.doe@example.com": a contact line ending in the address
        Rule(
            "trailer", r"^(?:Write to|Contact|Reach|Email|E-mail)\s.{1,80}\s\S+@\S+\.\w{2,}\.?$", 20
        ),
        # bylines
        Rule(
            "byline",
            rf"^(?:[-–—]+\s*)?(?:By|BY|Written by|Words by|Story by|Reported by)\s+{_NAME}{_ROLE}(?:\s+Follow @\w+)?$",
            16,
        ),
        Rule(
            "byline",
            r"^(?:(?:Staff|Senior|Chief|Political|Foreign|Home Affairs|Business|Sports?|Health|Science|Education|Crime|Courts?|Local Democracy|Special|Deputy \w+)\s+)?(?:Reporter|Correspondent|Editor|Writer|Journalist)s?$",
        ),
        Rule("byline", r"^\d{1,3}\s*(?:min|mins|minute|minutes)\s+read$"),
        # update and correction notes (the note goes, story text after it stays)
        Rule(
            "update_note",
            r"^This (?:report|story|article|post|piece) (?:has been|was) (?:updated|amended|corrected)\b.{0,300}$",
            max_chars=331,
        ),
        Rule(
            "update_note",
            r"^(?:Update to (?:the )?story below|Original story follows|Original story below|Story updated)\s*[:.]?$",
        ),
        Rule(
            "update_note",
            rf"^(?:Updated|Last updated|Published|First published|Posted|Modified)\s*(?:at|on)?\s*:?\s*(?:\d{{1,2}}[:.]\d{{2}}|\d{{1,2}} {_MONTH}|{_MONTH} \d|{_DAY}|\d+ (?:hours?|minutes?|mins?|days?) ago|\d{{4}}-\d{{2}}).{{0,100}}$",
            20,
        ),
        Rule(
            "update_note",
            r"^(?:Correction|Clarification|Editor['’]s note)\s*(?:\([^)]{1,40}\))?\s*:.{0,400}$",
        ),
    ),
}


def _teasers(markers: str, bare: str = "") -> Rule:
    """A related-story teaser in one language: a marker alone on its line, or followed by
    a headline after a colon, dash or guillemet ("Lea también: ..."). A line that runs on
    from the marker without that mark is a story sentence ("Le puede interesar a la
    fiscalía que ...") and stays."""
    alone = f"(?:{markers}{'|' + bare if bare else ''})"
    # also: a heading that introduces a list ("Lesen Sie auch die folgenden Beiträge:") and
    # a pointer to the site ("Mehr zum Thema auf UEPO.de")
    return Rule(
        "teaser",
        rf"^(?:{alone}\s*[:.»|–—-]?|{alone}\s*[:»|–—-]\s*.{{1,160}}|(?:{markers})\s+[^.!?]{{1,60}}:|"
        rf"(?:{markers})\s+(?:auf|bei|on|at|sur|en|em|su)\s+\S+\.\w{{2,}})$",
        30,
    )


def _dated(words: str) -> Rule:
    """An update or publication note in one language, with its date in digits."""
    return Rule(
        "update_note",
        rf"^(?:{words})\s*(?:am|le|el|em|il|on|:)?\s*:?\s*\d{{1,2}}[./-]\s?\d{{1,2}}[./-]\s?\d{{2,4}}.{{0,40}}$",
        12,
    )


# Other languages: the same families, in each language's words (the English table applies
# too: English chrome is common on any page). Adding a language is adding a table.
_OTHER: dict[str, tuple[Rule, ...]] = {
    "es": (
        _teasers(
            r"le puede interesar|te puede interesar|también te puede interesar|puede interesarte|"
            r"lea también|lee también|lea además|leer más|lea más|vea también|ver más|"
            r"contenido relacionado|noticias relacionadas|artículos relacionados|"
            r"relacionado|relacionadas|lo más leído|más leídas|más noticias",
            r"mira|lee|lea|ver|vea",
        ),
        Rule(
            "prompt",
            r"^(?:suscr[ií]bete|suscr[ií]base|hazte socio|únete|síguenos)\b.{0,160}$",
            30,
            max_chars=171,
        ),
        Rule(
            "prompt",
            r"^.{0,80}\bcancela cuando quieras\.?$",
            25,
            needs="cancela cuando quieras",
            max_chars=103,
        ),
        Rule("trailer", r"^.{0,80}\btodos los derechos reservados\.?$", 16, max_chars=110),
        _dated(r"actualizado|publicado|última actualización"),
    ),
    "de": (
        _teasers(
            r"lesen sie auch|lesen sie mehr|lies auch|auch interessant|ebenfalls interessant|"
            r"(?:das thema |dieses thema |das )?könnte (?:sie|dich|euch) (?:auch )?interessieren|"
            r"mehr zum thema|zum weiterlesen|verwandte artikel|ähnliche artikel|"
            r"beiträge aus dem forum|meistgelesen|meist gelesen|meist-diskutiert|"
            r"meistdiskutiert|zusatzinformationen|weitere artikel|weitere themen|top-themen|"
            r"auch lesen|mehr dazu",
            r"weiterlesen|anzeige|lesetipp",
        ),
        Rule("advert", r"^anzeige\s*[-–—:|]\s*.{0,160}$", 30),
        Rule(
            "prompt",
            r"^(?:jetzt )?(?:abonnieren|newsletter abonnieren|folgen sie uns|folge uns|"
            r"melden sie sich an|registrieren sie sich)\b.{0,160}$",
            30,
            max_chars=187,
        ),
        Rule("trailer", r"^(?:quellen|quellenangaben|quelle)\s{0,2}:?$", max_chars=17),
        Rule("trailer", r"^.{0,80}\balle rechte vorbehalten\.?$", 16, max_chars=104),
        _dated(r"aktualisiert|zuletzt aktualisiert|veröffentlicht|stand|erstellt"),
    ),
    "fr": (
        _teasers(
            r"à lire aussi|a lire aussi|lire aussi|à lire également|lire également|"
            r"voir aussi|sur le même sujet|articles liés|articles similaires|"
            r"vous aimerez aussi|le plus lu|les plus lus|à découvrir aussi|pour aller plus loin",
            r"lire|voir",
        ),
        Rule(
            "prompt",
            r"^(?:pour lire la suite|pour accéder en illimité|abonnez-vous|inscrivez-vous|"
            r"suivez-nous|déjà abonné)\b.{0,160}$",
            30,
            max_chars=184,
        ),
        Rule("trailer", r"^.{0,80}\btous droits réservés\.?$", 16, max_chars=101),
        _dated(r"mis à jour|publié|modifié"),
    ),
    "pt": (
        _teasers(
            r"leia também|leia mais|veja também|veja mais|saiba mais|notícias relacionadas|"
            r"relacionadas|mais lidas|você pode gostar|confira também",
            r"leia|veja|confira",
        ),
        Rule(
            "prompt", r"^(?:assine|inscreva-se|siga-nos|cadastre-se)\b.{0,160}$", 30, max_chars=171
        ),
        Rule("trailer", r"^.{0,80}\btodos os direitos reservados\.?$", 16, max_chars=109),
        _dated(r"atualizado|publicado"),
    ),
    "it": (
        _teasers(
            r"leggi anche|leggi pure|potrebbe interessarti|ti potrebbe interessare|"
            r"articoli correlati|leggi tutto|i più letti|più letti|potrebbe piacerti",
            r"leggi",
        ),
        Rule("prompt", r"^(?:iscriviti|abbonati|seguici)\b.{0,160}$", 30, max_chars=169),
        Rule("trailer", r"^.{0,80}\btutti i diritti riservati\.?$", 16, max_chars=106),
        _dated(r"aggiornato|pubblicato"),
    ),
}
# the English paywall and reprint lines that outlets print in any language's edition
RULES["en"] = RULES["en"] + (
    Rule(
        "prompt",
        r"^To (?:view|read|continue reading|access) (?:the full|this|the rest of (?:this|the)) (?:story|article)\b.{0,120}$",
        30,
        max_chars=164,
    ),
    Rule(
        "prompt",
        r"^If you['’]re (?:seeing this message|already a subscriber)\b.{0,200}$",
        45,
        max_chars=230,
    ),
    Rule("prompt", r"^First-time subscribers\b.{0,200}$", 40, max_chars=222),
    Rule(
        "trailer",
        r"^.{0,80}\bThis (?:article|story|content) is the copyrighted property of\b.{1,300}$",
        70,
        needs="copyrighted property",
        max_chars=423,
    ),
    Rule("trailer", r"^Written permission must be obtained before .{1,100}$", 20, max_chars=143),
)
RULES.update({lang: table + RULES["en"] for lang, table in _OTHER.items()})

# Lines that open a block: the opener and the short non-blank lines right under it go.
BLOCKS: dict[str, tuple[Block, ...]] = {
    "*": (),
    "en": (
        Block("teaser", r"^DON[’'`]?T MISS\b.{0,80}$"),
        Block(
            "teaser",
            r"^(?:MORE FROM|(?:MORE )?MUST[- ]READS?|RELATED STORIES|YOU MAY ALSO LIKE|YOU MIGHT ALSO LIKE|MOST (?:READ|POPULAR|VIEWED|SHARED|COMMENTED|WATCHED)|POPULAR (?:NOW|TODAY|STORIES|ARTICLES)|WHAT['’]?S HOT|TOP STORIES|TRENDING(?: NOW)?|EDITOR['’]?S PICKS|RECOMMENDED FOR YOU|MORE STORIES|ALSO ON)\b.{0,40}$",
        ),
        Block(
            "comments",
            r"^(?:\d+\s+(?:comments?|replies)|(?:Reader )?comments(?:\s*\(\d+\))?|Join the conversation)$",
            True,
        ),
    ),
}

DEFAULT_LANGUAGE = "en"


def rules_for(language: str | None) -> tuple[tuple[Rule, ...], tuple[Block, ...]]:
    """The language-independent rules plus those of `language` (English when unknown)."""
    lang = (language or DEFAULT_LANGUAGE).split("-")[0].lower()
    if lang not in RULES:
        lang = DEFAULT_LANGUAGE
    return RULES["*"] + RULES[lang], BLOCKS["*"] + BLOCKS.get(lang, BLOCKS["en"])
