"""Write the course data sets: product reviews, support tickets, replies to them, a small probe and headlines.

    python data/make_data.py            # rewrite every data file under data/
    python data/make_data.py --report   # ... and print the figures quoted in the data cards
    python data/make_data.py --out DIR  # write somewhere else (the tests do this)

Everything is synthetic and drawn from one fixed seed, so two runs give
byte-identical files. Read the data cards (data/*/README.md) first; this file
shows exactly how each text and label was made.

Reviews follow a written labelling rule (see `review_label`): every opinion
about the product has a side (+/-) and a strength (1 mild, 2 strong); the
label compares the strongest positive with the strongest negative opinion; a
closing "bottom line" verdict, when there is one, overrides everything. The
same words occur in every class, so a bag of words cannot tell them apart, but
a model that reads word order, negation and sentence position can.
"""

import argparse
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
from helpers.core.config import SEED  # noqa: E402
from helpers.prompting.data import BOTTOM_LINE, ISSUE_TYPES, PRODUCTS, SPLITS  # noqa: E402
from helpers.prompting.data import SYNTHETIC_LABELS as REVIEW_LABELS  # noqa: E402  (the made-up reviews' labels)

REVIEW_SIZES = {"train": 2000, "validation": 200, "test": 300}  # balanced over 5 labels
TICKET_SIZES = {"train": 510, "validation": 102, "test": 204}  # balanced over 6 issue types
NEAR_DUPLICATE_JACCARD = 0.6  # word-set overlap at or above this counts as a near-duplicate


# ---------------------------------------------------------------------------
# Reviews: vocabulary
# ---------------------------------------------------------------------------

# (good, bad) adjective pairs of neutral strength; strength comes from modifiers.
QUALITIES = {
    "comfort": ("comfortable", "uncomfortable"),
    "sturdy": ("sturdy", "flimsy"),
    "quiet": ("quiet", "noisy"),
    "speed": ("quick", "slow"),
    "ease": ("easy to use", "fiddly"),
    "reliable": ("reliable", "unreliable"),
    "clean": ("clean", "grubby"),
    "friendly": ("friendly", "rude"),
    "helpful": ("helpful", "unhelpful"),
    "tasty": ("tasty", "bland"),
    "clear": ("clear", "confusing"),
    "value": ("good value", "poor value"),
    "price": ("reasonable", "steep"),
    "generous": ("generous", "stingy"),
    "bright": ("bright", "dim"),
    "accurate": ("accurate", "inaccurate"),
    "soft": ("soft", "scratchy"),
    "stylish": ("stylish", "tacky"),
    "warm": ("warm", "chilly"),
    "long": ("long-lasting", "short-lived"),
    "tidy": ("neat", "messy"),
    "fresh": ("fresh", "stale"),
}

# name, how it is written in a sentence, is it a service (past tense), aspects.
# Each aspect: (noun phrase, plural?, quality keys).
PRODUCTS_REVIEWED = [
    (
        "kettle",
        "this kettle",
        False,
        [
            ("the handle", False, ["comfort", "sturdy"]),
            ("the boil time", False, ["speed"]),
            ("the lid", False, ["sturdy", "ease"]),
            ("the noise", False, ["quiet"]),
        ],
    ),
    (
        "headphones",
        "these headphones",
        False,
        [
            ("the ear cushions", True, ["comfort", "soft"]),
            ("the battery", False, ["long", "reliable"]),
            ("the noise cancelling", False, ["reliable", "quiet"]),
            ("the app", False, ["ease", "clear"]),
        ],
    ),
    (
        "running shoes",
        "these trainers",
        False,
        [
            ("the grip", False, ["reliable"]),
            ("the fit", False, ["comfort"]),
            ("the laces", True, ["sturdy", "long"]),
            ("the cushioning", False, ["soft", "comfort"]),
        ],
    ),
    (
        "phone case",
        "this phone case",
        False,
        [
            ("the buttons", True, ["ease", "sturdy"]),
            ("the colour", False, ["stylish", "bright"]),
            ("the edges", True, ["sturdy", "tidy"]),
        ],
    ),
    (
        "air fryer",
        "this air fryer",
        False,
        [
            ("the basket", False, ["sturdy", "clean"]),
            ("the timer", False, ["accurate", "ease"]),
            ("the chips it makes", True, ["tasty"]),
            ("the fan", False, ["quiet"]),
        ],
    ),
    (
        "desk lamp",
        "this desk lamp",
        False,
        [
            ("the light", False, ["bright", "warm"]),
            ("the arm", False, ["sturdy", "ease"]),
            ("the switch", False, ["reliable", "ease"]),
        ],
    ),
    (
        "winter coat",
        "this coat",
        False,
        [
            ("the lining", False, ["warm", "soft"]),
            ("the zip", False, ["sturdy", "reliable"]),
            ("the fit", False, ["comfort", "stylish"]),
            ("the pockets", True, ["tidy", "sturdy"]),
        ],
    ),
    (
        "vacuum cleaner",
        "this vacuum",
        False,
        [
            ("the suction", False, ["reliable"]),
            ("the cable", False, ["long", "tidy"]),
            ("the noise", False, ["quiet"]),
            ("the dust bin", False, ["ease", "clean"]),
        ],
    ),
    (
        "office chair",
        "this chair",
        False,
        [
            ("the seat", False, ["comfort", "soft"]),
            ("the armrests", True, ["sturdy", "comfort"]),
            ("the assembly instructions", True, ["clear"]),
            ("the wheels", True, ["quiet", "sturdy"]),
        ],
    ),
    (
        "electric toothbrush",
        "this toothbrush",
        False,
        [
            ("the battery", False, ["long"]),
            ("the brush heads", True, ["soft", "value"]),
            ("the timer", False, ["accurate"]),
            ("the charger", False, ["reliable", "tidy"]),
        ],
    ),
    (
        "bedsheets",
        "these sheets",
        False,
        [
            ("the cotton", False, ["soft", "comfort"]),
            ("the stitching", False, ["sturdy", "tidy"]),
            ("the colour", False, ["stylish"]),
        ],
    ),
    (
        "smartwatch",
        "this watch",
        False,
        [
            ("the step counter", False, ["accurate"]),
            ("the strap", False, ["comfort", "sturdy"]),
            ("the screen", False, ["bright", "clear"]),
            ("the battery", False, ["long"]),
        ],
    ),
    (
        "coffee grinder",
        "this grinder",
        False,
        [
            ("the grind", False, ["reliable", "accurate"]),
            ("the motor", False, ["quiet", "sturdy"]),
            ("the hopper", False, ["clean", "ease"]),
        ],
    ),
    (
        "backpack",
        "this backpack",
        False,
        [
            ("the straps", True, ["comfort", "sturdy"]),
            ("the zips", True, ["sturdy", "reliable"]),
            ("the laptop sleeve", False, ["soft", "tidy"]),
        ],
    ),
    (
        "board game",
        "this game",
        False,
        [
            ("the rules", True, ["clear"]),
            ("the pieces", True, ["sturdy", "stylish"]),
            ("the box", False, ["sturdy", "tidy"]),
        ],
    ),
    (
        "hotel stay",
        "the hotel",
        True,
        [
            ("the room", False, ["clean", "quiet", "warm"]),
            ("the staff", True, ["friendly", "helpful"]),
            ("the breakfast", False, ["tasty", "fresh"]),
            ("the bed", False, ["comfort"]),
        ],
    ),
    (
        "takeaway",
        "the takeaway",
        True,
        [
            ("the food", False, ["tasty", "fresh"]),
            ("the delivery driver", False, ["friendly"]),
            ("the portions", True, ["generous"]),
            ("the packaging", False, ["tidy"]),
        ],
    ),
    (
        "plumber",
        "the plumber",
        True,
        [
            ("the quote", False, ["clear", "value"]),
            ("the work", False, ["tidy", "reliable"]),
            ("the plumber", False, ["friendly", "helpful"]),
        ],
    ),
    (
        "hair salon",
        "the salon",
        True,
        [
            ("the stylist", False, ["friendly"]),
            ("the haircut", False, ["stylish", "tidy"]),
            ("the waiting area", False, ["clean", "comfort"]),
        ],
    ),
    (
        "train journey",
        "the train",
        True,
        [
            ("the seats", True, ["comfort", "clean"]),
            ("the wifi", False, ["reliable", "speed"]),
            ("the conductor", False, ["friendly", "helpful"]),
        ],
    ),
    (
        "gym membership",
        "the gym",
        True,
        [
            ("the changing rooms", True, ["clean", "warm"]),
            ("the equipment", False, ["reliable", "sturdy"]),
            ("the trainers there", True, ["friendly", "helpful"]),
        ],
    ),
    (
        "meal kit",
        "the meal kit",
        True,
        [
            ("the recipes", True, ["clear", "tasty"]),
            ("the vegetables", True, ["fresh"]),
            ("the portions", True, ["generous"]),
            ("the packaging", False, ["tidy"]),
        ],
    ),
    (
        "garden hose",
        "this hose",
        False,
        [
            ("the connectors", True, ["sturdy", "reliable"]),
            ("the reel", False, ["ease", "sturdy"]),
            ("the spray nozzle", False, ["accurate", "reliable"]),
        ],
    ),
    (
        "car seat cover",
        "these seat covers",
        False,
        [
            ("the fabric", False, ["soft", "clean"]),
            ("the straps", True, ["sturdy", "ease"]),
            ("the fit", False, ["tidy"]),
        ],
    ),
    (
        "baby monitor",
        "this baby monitor",
        False,
        [
            ("the picture", False, ["clear", "bright"]),
            ("the alerts", True, ["reliable", "accurate"]),
            ("the app", False, ["ease"]),
        ],
    ),
    (
        "yoga mat",
        "this yoga mat",
        False,
        [
            ("the grip", False, ["reliable"]),
            ("the cushioning", False, ["soft", "comfort"]),
            ("the carry strap", False, ["sturdy"]),
        ],
    ),
    (
        "bike light",
        "this bike light",
        False,
        [("the beam", False, ["bright"]), ("the mount", False, ["sturdy", "ease"]), ("the battery", False, ["long"])],
    ),
    (
        "laptop stand",
        "this laptop stand",
        False,
        [
            ("the hinge", False, ["sturdy"]),
            ("the height settings", True, ["ease", "accurate"]),
            ("the finish", False, ["stylish", "tidy"]),
        ],
    ),
    (
        "dog bed",
        "this dog bed",
        False,
        [
            ("the filling", False, ["soft", "comfort"]),
            ("the cover", False, ["clean", "sturdy"]),
            ("the size guide", False, ["accurate"]),
        ],
    ),
    (
        "cinema visit",
        "the cinema",
        True,
        [
            ("the seats", True, ["comfort", "clean"]),
            ("the sound", False, ["clear"]),
            ("the popcorn", False, ["fresh", "value"]),
            ("the staff", True, ["friendly"]),
        ],
    ),
    (
        "bakery",
        "the bakery",
        True,
        [
            ("the bread", False, ["fresh", "tasty"]),
            ("the staff", True, ["friendly", "helpful"]),
            ("the prices", True, ["price"]),
        ],
    ),
    (
        "online course",
        "the course",
        True,
        [
            ("the videos", True, ["clear"]),
            ("the exercises", True, ["clear", "value"]),
            ("the support forum", False, ["helpful"]),
        ],
    ),
    (
        "electric blanket",
        "this electric blanket",
        False,
        [
            ("the heat", False, ["warm", "reliable"]),
            ("the controller", False, ["ease", "clear"]),
            ("the fabric", False, ["soft"]),
        ],
    ),
    (
        "tent",
        "this tent",
        False,
        [
            ("the poles", True, ["sturdy"]),
            ("the instructions", True, ["clear"]),
            ("the groundsheet", False, ["sturdy", "clean"]),
        ],
    ),
]
# Aspects every product or service can have.
SHARED_ASPECTS = [
    ("the delivery", False, ["speed"]),
    ("the price", False, ["price"]),
    ("customer service", False, ["helpful"]),
    ("the packaging", False, ["tidy"]),
]

STRONG_MODIFIERS = [
    "really",
    "incredibly",
    "extremely",
    "seriously",
    "genuinely",
    "properly",
    "ridiculously",
    "absolutely",
    "so",
    "super",
]
MILD_MODIFIERS = {
    +1: ["fairly", "pretty", "somewhat", "kind of", "rather", "reasonably", "mostly", "generally"],
    -1: ["fairly", "pretty", "somewhat", "kind of", "rather", "a bit", "slightly", "a little"],
}
NEGATORS = ["not", "not very", "not particularly", "not exactly", "not really", "hardly", "not that", "never really"]

# Judgements of the whole thing, by (side, strength).
OVERALL = {
    (+1, 2): ["brilliant", "fantastic", "superb", "outstanding", "excellent", "amazing", "spot on"],
    (+1, 1): ["decent", "fine", "solid", "perfectly okay", "nice enough", "alright", "good enough"],
    (-1, 1): ["underwhelming", "mediocre", "a bit of a letdown", "meh", "so-so", "disappointing"],
    (-1, 2): ["awful", "dreadful", "rubbish", "useless", "terrible", "a total waste of money", "appalling"],
}

# Negated strong judgements are mild ones of the other side: "not great" is mildly negative.
NEGATED_OVERALL = {
    -1: [
        "not great",
        "not brilliant",
        "not amazing",
        "not exactly perfect",
        "not that good",
        "hardly fantastic",
        "not the best",
    ],
    +1: ["not bad", "not bad at all", "not awful", "not terrible", "hardly rubbish", "not the worst", "not that bad"],
}


def copula(plural: bool, past: bool) -> str:
    return ("were" if plural else "was") if past else ("are" if plural else "is")


# Things that happened, by (side, strength). "{t}" is a stretch of time.
EVENTS = {
    (+1, 2): [
        "it hasn't missed a beat in {t}",
        "I use it every single day and it never lets me down",
        "it does everything I hoped and more",
        "I honestly can't fault it",
        "it has made a real difference to my week",
        "I would buy it again in a heartbeat",
    ],
    (+1, 1): [
        "it does the job",
        "it works well enough for what I need",
        "it gets the job done without fuss",
        "it mostly does what it says",
        "it's been fine for {t} so far",
        "I can't complain much",
    ],
    (-1, 1): [
        "it takes a while to get going",
        "it needs a restart every now and then",
        "it isn't quite what I'd hoped",
        "it does the job, just not very well",
        "I've had a couple of small niggles in {t}",
        "it feels a little cheap",
    ],
    (-1, 2): [
        "it broke after {t}",
        "it stopped working within {t}",
        "it never worked properly",
        "it fell apart after {t}",
        "I regret buying it",
        "it went straight in the bin after {t}",
    ],
}
SERVICE_EVENTS = {
    (+1, 2): [
        "they went above and beyond",
        "I'll definitely be going back",
        "I honestly can't fault them",
        "it was the best experience I've had in years",
    ],
    (+1, 1): ["it did the job", "it was fine for what we needed", "no real complaints", "it was okay overall"],
    (-1, 1): [
        "it wasn't quite what I'd hoped",
        "there were a few small niggles",
        "it felt a little rushed",
        "it was a bit of a faff",
    ],
    (-1, 2): [
        "it was a complete shambles",
        "I will never go back",
        "it ruined our day",
        "they didn't even turn up",
        "I want my money back",
    ],
}
TIMES = [
    "two days",
    "a week",
    "three weeks",
    "a month",
    "six weeks",
    "two months",
    "a fortnight",
    "ten days",
    "half a year",
    "three months",
]

SARCASM = [
    "Oh great, {e}.",
    "Brilliant, {e}.",
    "Love how {e}.",
    "Wonderful, {e}. Just wonderful.",
    "Fantastic job: {e}.",
    "Absolutely thrilled that {e}.",
    "Five stars for the fact that {e}, obviously.",
    "Just what I always wanted: {e}.",
]
SARCASM_FACTS = [
    "it broke after {t}",
    "it stopped working within {t}",
    "it died after {t}",
    "the {part} snapped on day {n}",
    "I've now spent {t} waiting for a replacement",
    "it fell apart after {t}",
    "nobody answered my emails for {t}",
]
SERVICE_SARCASM_FACTS = [
    "we waited {t} for nothing",
    "nobody answered my emails for {t}",
    "they lost our booking",
    "they charged us twice",
    "they cancelled on the day",
]

# Opinions about something else: by the rule they do not count.
ELSEWHERE = [
    "My sister has one too and says it's {j}.",
    "My old one was {j}, for what it's worth.",
    "The reviews said it was {j}.",
    "A friend told me it would be {j}.",
    "I'd heard the previous model was {j}.",
    "Our last one was {j}.",
    "The shop next door is {j}, by the way.",
]

NEUTRAL = [
    "Bought this for my {who}.",
    "Ordered the {colour} one.",
    "We've had it for {t} now.",
    "It arrived on a {day}.",
    "Picked it up in the sale.",
    "I use it mostly at {where}.",
    "Got it as a present from my {who}.",
    "This was a replacement for an old one.",
    "Second one I've bought.",
    "I compared a few before choosing this one.",
    "We went on a {day} afternoon.",
    "Booked it for my {who}'s birthday.",
]
SERVICE_NEUTRAL = [
    "We went on a {day} afternoon.",
    "Booked it for my {who}'s birthday.",
    "I went with my {who}.",
    "This was our first time there.",
    "We booked it {t} in advance.",
]
WHO = ["mum", "dad", "partner", "son", "daughter", "flatmate", "neighbour", "grandad", "best friend", "boss"]
COLOURS = ["grey", "blue", "black", "green", "red", "white", "navy", "sage", "mustard", "pink"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
WHERE = ["home", "work", "the weekend", "my mum's house", "the caravan", "the office"]
PARTS = ["handle", "clip", "strap", "lid", "hinge", "button", "cable", "zip"]

VERDICT_MIXED = [
    "I'm honestly torn.",
    "it's a real mixed bag.",
    "I can't decide whether I love it or hate it.",
    "half brilliant, half rubbish.",
    "there's as much to love as to hate.",
    "I really like it and really dislike it in equal measure.",
    "it's great and awful at once.",
]
VERDICT_FEELING = {
    (+1, 2): [
        "I'm really pleased",
        "I absolutely love it",
        "I'm genuinely happy with it",
        "I'm seriously impressed",
        "I couldn't be happier",
    ],
    (+1, 1): [
        "I'm fairly pleased",
        "I like it well enough",
        "I'm reasonably happy with it",
        "I'm mostly satisfied",
        "I'm pretty happy with it",
    ],
    (-1, 1): [
        "I'm a bit disappointed",
        "I'm slightly let down",
        "I'm fairly unhappy with it",
        "I'm not really satisfied",
        "I'm not that happy with it",
    ],
    (-1, 2): [
        "I'm really disappointed",
        "I absolutely hate it",
        "I'm seriously unhappy with it",
        "I couldn't be less happy",
        "I'm genuinely fed up with it",
    ],
}

CONNECTIVES_SAME = [", and ", ", and ", "; ", ", plus ", " and "]
CONNECTIVES_CONTRAST = [", but ", ", though ", ", whereas ", "; on the other hand, ", ", yet "]

UK_TO_US = {
    "colour": "color",
    "favourite": "favorite",
    "grey": "gray",
    "neighbour": "neighbor",
    "realise": "realize",
    "organised": "organized",
    "centre": "center",
    "mum": "mom",
    "fortnight": "two weeks",
    "rubbish": "garbage",
    "trainers": "sneakers",
    "flatmate": "roommate",
    "cancelling": "canceling",
    "cancelled": "canceled",
    "faff": "hassle",
    "chips": "fries",
    "grandad": "grandpa",
    "properly": "really",
    "shambles": "mess",
    "whilst": "while",
}


def americanise(text: str) -> str:
    """Swap British spellings and words for American ones, keeping capitals."""

    def swap(match):
        word = match.group(0)
        us = UK_TO_US[word.lower()]
        return us.capitalize() if word[0].isupper() else us

    pattern = r"\b(" + "|".join(UK_TO_US) + r")\b"
    return re.sub(pattern, swap, text, flags=re.IGNORECASE)


# ---------------------------------------------------------------------------
# Reviews: the labelling rule
# ---------------------------------------------------------------------------


def review_label(opinions, verdict=None) -> str:
    """The rule every review label follows.

    `opinions` lists (side, strength) for each opinion about the product itself:
    side +1/-1, strength 1 (mild) or 2 (strong). Negating an opinion ("not very
    comfortable") makes it a mild opinion of the other side; sarcasm ("Oh great,
    it broke") is a strong negative; opinions about other things do not count.
    A closing bottom-line `verdict` (a label) overrides the opinions.
    """
    if verdict is not None:
        return verdict
    best_pos = max((s for side, s in opinions if side > 0), default=0)
    best_neg = max((s for side, s in opinions if side < 0), default=0)
    if best_pos == best_neg:
        return "mixed"  # equally strong praise and complaint
    if best_pos > best_neg:
        return "very_positive" if (best_pos, best_neg) == (2, 0) else "positive"
    return "very_negative" if (best_pos, best_neg) == (0, 2) else "negative"


# (strongest positive, strongest negative) combinations that give each label.
PROFILES = {
    "very_positive": [(2, 0)],
    "positive": [(1, 0), (2, 1)],
    "mixed": [(1, 1), (2, 2)],
    "negative": [(0, 1), (1, 2)],
    "very_negative": [(0, 2)],
}
VERDICT_OF_LABEL = {"very_positive": (+1, 2), "positive": (+1, 1), "negative": (-1, 1), "very_negative": (-1, 2)}


# ---------------------------------------------------------------------------
# Reviews: writing one review
# ---------------------------------------------------------------------------


class ReviewWriter:
    """Writes review texts for a wanted label, from one random generator."""

    def __init__(self, rng: random.Random, held_out: bool = False):
        self.rng = rng
        self.held_out = held_out  # test messages: only the held-out nicknames and issue wordings; else never those

    def pick(self, options):
        return self.rng.choice(options)

    def fill(self, template: str) -> str:
        return template.format(
            t=self.pick(TIMES),
            who=self.pick(WHO),
            colour=self.pick(COLOURS),
            day=self.pick(DAYS),
            where=self.pick(WHERE),
            part=self.pick(PARTS),
            n=self.rng.randint(2, 9),
        )

    def judgement(self, side: int, strength: int, quality: str) -> str:
        """An adjective phrase with the given side and strength, e.g. 'not very sturdy'."""
        good, bad = QUALITIES[quality]
        if strength == 1 and self.rng.random() < 0.45:  # negation flips side, gives a mild opinion
            return f"{self.pick(NEGATORS)} {bad if side > 0 else good}"
        adjective = good if side > 0 else bad
        if strength == 2:
            return f"{self.pick(STRONG_MODIFIERS)} {adjective}"
        return f"{self.pick(MILD_MODIFIERS[side])} {adjective}"

    def opinion_clause(self, product, side: int, strength: int, used_aspects: set) -> str:
        """One clause holding one opinion about the product (each aspect used once)."""
        _, subject, is_service, aspects = product
        unused = [a for a in aspects if a[0] not in used_aspects]
        unused_shared = [a for a in SHARED_ASPECTS if a[0] not in used_aspects]
        roll = self.rng.random()
        if roll < 0.6 and (unused or unused_shared):  # an aspect: "the straps are really comfortable"
            noun, plural, qualities = self.pick(
                unused if unused and self.rng.random() < 0.8 else unused_shared or unused
            )
            used_aspects.add(noun)
            judgement = self.judgement(side, strength, self.pick(qualities))
            if self.rng.random() < 0.2:
                return f"I found {noun} {judgement}"
            return f"{noun} {copula(plural, is_service)} {judgement}"
        if roll < 0.8 and "the whole" not in used_aspects:  # the thing as a whole, once: "the hotel was not great"
            used_aspects.add("the whole")
            plural = subject.startswith("these")
            if not is_service and self.rng.random() < 0.5:
                subject = "they" if plural else "it"
            verb = copula(plural, is_service)
            if strength == 1 and self.rng.random() < 0.4:  # "not great" / "not bad"
                return f"{subject} {verb} {self.pick(NEGATED_OVERALL[side])}"
            return f"{subject} {verb} {self.pick(OVERALL[(side, strength)])}"
        events = SERVICE_EVENTS if is_service else EVENTS
        return self.fill(self.pick(events[(side, strength)]))

    def sarcastic_sentence(self, product) -> str:
        """Praise words wrapped round a disaster: counts as a strong negative."""
        facts = SERVICE_SARCASM_FACTS if product[2] else SARCASM_FACTS
        return self.fill(self.pick(SARCASM).replace("{e}", self.pick(facts)))

    def elsewhere_sentence(self) -> str:
        """An opinion about something other than this product: does not count."""
        side, strength = self.pick(list(OVERALL))
        return self.fill(self.pick(ELSEWHERE).replace("{j}", self.pick(OVERALL[(side, strength)])))

    def verdict_sentence(self, label: str) -> str:
        """A closing bottom line that decides the label."""
        opener = self.pick(BOTTOM_LINE)
        if label == "mixed":
            body = self.pick(VERDICT_MIXED)
        else:
            side, strength = VERDICT_OF_LABEL[label]
            roll = self.rng.random()
            if roll < 0.4:
                body = self.pick(VERDICT_FEELING[(side, strength)])
            elif roll < 0.7 or strength == 2:
                body = f"it's {self.pick(OVERALL[(side, strength)])}"
            else:  # a mild verdict by negation: "it's not bad", "it's not great"
                body = f"it's {self.pick(NEGATED_OVERALL[side])}"
            body += "."
        if opener.endswith(":"):
            return f"{opener} {body[0].upper()}{body[1:]}"
        return f"{opener} {body}"

    def opinion_plan(self, label: str):
        """(side, strength) opinions whose strongest positive/negative give `label`."""
        best_pos, best_neg = self.pick(PROFILES[label])
        plan = [(+1, best_pos)] if best_pos else []
        plan += [(-1, best_neg)] if best_neg else []
        for _ in range(self.rng.choice([0, 0, 1, 1, 2])):  # weaker or equal extra opinions
            side = self.pick([s for s, best in ((+1, best_pos), (-1, best_neg)) if best])
            plan.append((side, self.rng.randint(1, best_pos if side > 0 else best_neg)))
        self.rng.shuffle(plan)
        return plan

    def write(self, label: str) -> tuple[str, str]:
        """One review text and its label, as decided by `review_label`."""
        product = self.pick(PRODUCTS_REVIEWED)
        verdict = label if self.rng.random() < 0.35 else None
        plan = self.opinion_plan(self.pick(REVIEW_LABELS) if verdict else label)
        clauses = []  # (text, side) so neighbours can be joined with "and" or "but"
        used_aspects = set()
        for side, strength in plan:
            if (side, strength) == (-1, 2) and self.rng.random() < 0.3:
                clauses.append((self.sarcastic_sentence(product), None))
            else:
                clauses.append((self.opinion_clause(product, side, strength, used_aspects), side))
        sentences = self.join_clauses(clauses)
        extras = []
        if self.rng.random() < (0.8 if len(sentences) == 1 else 0.4):
            extras.append(self.fill(self.pick(SERVICE_NEUTRAL if product[2] else NEUTRAL)))
        if self.rng.random() < 0.25:
            extras.append(self.elsewhere_sentence())
        for extra in extras:  # context goes first or between opinions, never last
            sentences.insert(self.rng.randint(0, max(0, len(sentences) - 1)), extra)
        if verdict:
            sentences.append(self.verdict_sentence(verdict))
        text = " ".join(sentences)
        if self.rng.random() < 0.4:
            text = americanise(text)
        assert review_label(plan, verdict) == label
        return text, label

    def join_clauses(self, clauses):
        """Turn clauses into sentences, sometimes joining two with a connective."""
        sentences, i = [], 0
        while i < len(clauses):
            text, side = clauses[i]
            if side is not None and i + 1 < len(clauses) and clauses[i + 1][1] is not None and self.rng.random() < 0.5:
                next_text, next_side = clauses[i + 1]
                joiner = self.pick(CONNECTIVES_SAME if next_side == side else CONNECTIVES_CONTRAST)
                text = f"{text}{joiner}{next_text}"
                i += 1
            i += 1
            if not text.endswith("."):
                text = f"{text}{self.pick(['.', '.', '.', '!'])}"
            sentences.append(text[0].upper() + text[1:])
        return sentences


# ---------------------------------------------------------------------------
# Support tickets for Halcyon Home (a made-up smart-home company)
# ---------------------------------------------------------------------------

# Canonical name -> what customers call it in messages (templates add "the"/"my").
NICKNAMES = {
    "Orbit Hub X2": ["Orbit Hub X2", "Orbit Hub X2", "X2", "X2 hub", "OHX2", "Orbit hub", "hub"],
    "Ember T3 Thermostat": ["Ember T3 Thermostat", "Ember T3", "T3", "Ember thermostat", "T3 stat"],
    "Halo Cam 360": ["Halo Cam 360", "Halo Cam", "HC360", "360 cam", "Halo camera"],
    "Glint Bulb G9": ["Glint Bulb G9", "Glint bulbs", "G9 bulb", "Glints", "G9s"],
    "Sentinel Lock S4": ["Sentinel Lock S4", "Sentinel lock", "S4 lock", "S4", "Sentinel"],
    "Drift Speaker Mini": ["Drift Speaker Mini", "Drift Mini", "Drift", "Drift speaker"],
    "Tidewater Leak Sensor": ["Tidewater Leak Sensor", "Tidewater sensor", "leak puck", "Tidewater"],
    "Pulse Plug P2": ["Pulse Plug P2", "Pulse plug", "P2 plug", "P2"],
}
assert set(NICKNAMES) == set(PRODUCTS)
# Held out: what customers call each product in test messages only (each one the glossary's nickname or close to it,
# and never part of a name used in training), and the last two ways of describing each kind of issue. No training or
# validation message uses them, so the test split measures whether an approach learned the task or memorised the
# wording of its examples.
HELD_OUT_NICKNAMES = {
    "Orbit Hub X2": "OHX2",
    "Ember T3 Thermostat": "Ember thermostat",
    "Halo Cam 360": "HC360",
    "Glint Bulb G9": "G9s",
    "Sentinel Lock S4": "S4 lock",
    "Drift Speaker Mini": "Drift Mini",
    "Tidewater Leak Sensor": "leak puck",
    "Pulse Plug P2": "P2 plug",
}
assert all(HELD_OUT_NICKNAMES[product] in NICKNAMES[product] for product in PRODUCTS)
HELD_OUT_WORDINGS = 2

# What is wrong, by issue type. "{p}" is the product as the customer names it.
ISSUES = {
    "billing": [
        "I was charged twice for the Orbit tier this month on the account with my {p}",
        "my Orbit Plus tier renewal went through at the wrong price, I only have the {p}",
        "there's a charge for the {p} that I don't recognise",
        "the Orbit tier is still billing me even though I downgraded after buying the {p}",
        "my invoice for the {p} shows VAT twice",
        "I was billed for two {p} orders but only placed one",
    ],
    "delivery": [
        "still no sign of my {p}, and the Courier Pass hasn't moved in days",
        "the Courier Pass for my {p} says delivered but nothing came",
        "the courier left my {p} at the wrong address",
        "the box for my {p} turned up crushed and half empty",
        "I got the wrong item instead of the {p}",
        "the Courier Pass link for the {p} just says 'staged' and nothing else",
    ],
    "defect": [
        "I keep getting a Sync-Lock fault on my {p} and it won't pair",
        "I keep losing the {p} from the network every few hours",
        "there's a clicking noise from my {p} and then it resets itself",
        "since the update I'm stuck with a Sync-Lock fault on the {p}",
        "the {p} stopped responding to the app",
        "the light on my {p} just blinks and it won't connect",
    ],
    "account": [
        "I can't log in to Keyring to manage my {p}",
        "my Keyring account got locked after a password reset and I can't see the {p}",
        "I need to move the {p} to my partner's Keyring account",
        "two-factor codes for Keyring never arrive so I can't reach the {p} settings",
        "I want to change the email on the Keyring account I registered the {p} with",
    ],
    "how_to": [
        "how do I set up a Scene so the {p} turns on at sunset",
        "can you explain how to add the {p} to a Routine",
        "how do I share access to the {p} with a guest",
        "what's the right way to reset the {p} to factory settings",
        "is there a way to rename the {p} in the app",
        "where do I find the firmware version of my {p}",
    ],
    "refund": [
        "I'd like to start a Swap-Back for my {p} and get my money back",
        "please refund the {p}, it's not what I expected",
        "I returned the {p} through Swap-Back three weeks ago and still no refund",
        "can I get a refund on the {p} I bought as a gift",
        "I want to send the {p} back for a full refund",
    ],
}
# The urgency rule: a safety risk, a whole-home outage or a same-day deadline makes
# a message high; otherwise a how-to question or a "no rush" note makes it low;
# everything else is medium. Each trigger: (text, products it fits or None = any,
# issue types it fits or None = any).
HIGH_TRIGGERS = [
    ("there's a burning smell coming from it", None, {"defect", "refund"}),
    ("it sparked when I plugged it in", None, {"defect", "refund", "delivery"}),
    ("it's too hot to touch", None, {"defect", "refund"}),
    ("smoke came out of the back of it", None, {"defect", "refund"}),
    ("it showed a thermal trip twice", {"Ember T3 Thermostat", "Pulse Plug P2"}, {"defect", "refund"}),
    ("water is spreading across the kitchen floor and it never beeped", {"Tidewater Leak Sensor"}, {"defect"}),
    ("the front door won't lock at all", {"Sentinel Lock S4"}, {"defect"}),
    ("it's showing a red halo and nothing in the house responds", {"Orbit Hub X2"}, {"defect"}),
    ("every device in the house is offline", None, {"defect", "account"}),
    ("I need this sorted today", None, None),
    ("we're away from tonight and need it working before then", None, None),
    ("can someone call me back this afternoon", None, None),
    ("it has to be fixed by this evening", None, None),
]
LOW_MARKERS = [
    "No rush at all.",
    "Whenever you get a chance.",
    "Not urgent.",
    "Not a big deal, take your time.",
    "No hurry on this one.",
]
GREETINGS = ["Hi!", "Hello.", "Hi there!", "Hey.", "Good morning.", "Hello support team.", "", "", ""]
SIGN_OFFS = ["Thanks", "Cheers", "Many thanks", "Regards", "Thanks in advance", "", ""]
NAMES = [
    "Priya",
    "Tom",
    "Aisha",
    "Marek",
    "Jo",
    "Keisha",
    "Liam",
    "Sofia",
    "Dev",
    "Hannah",
    "Chen",
    "Oluwaseun",
    "Greta",
    "Rafael",
    "Niamh",
    "Sam",
]


class TicketWriter:
    """Writes support messages and the JSON a model should extract from them."""

    def __init__(self, rng: random.Random, held_out: bool = False):
        self.rng = rng
        self.held_out = held_out  # test messages: only the held-out nicknames and issue wordings; else never those

    def pick(self, options):
        return self.rng.choice(options)

    def order_reference(self, order_id: str) -> str:
        """How the customer writes the order id (sometimes not in canonical form)."""
        digits = order_id[3:]
        written = self.pick([order_id] * 6 + [f"hh-{digits}", f"HH{digits}", f"HH {digits}"])
        return self.pick(
            [
                f"Order {written}.",
                f"My order number is {written}.",
                f"(order {written})",
                f"Order no: {written}.",
                f"It was order #{written}.",
            ]
        )

    def decoy(self) -> str:
        """A number that is not an order id."""
        return self.pick(
            [
                f"You can reach me on 07{self.rng.randint(100, 999)} {self.rng.randint(100000, 999999)}.",
                f"My number is ({self.rng.randint(200, 999)}) 555-{self.rng.randint(1000, 9999)}.",
                f"I bought it on {self.rng.randint(1, 28)}/{self.rng.randint(1, 12)} "
                f"for £{self.rng.randint(19, 249)}.99.",
                f"It cost ${self.rng.randint(19, 249)}.",
                f"My case number from last time was {self.rng.randint(10000, 99999)}.",
                f"Invoice INV-{self.rng.randint(10000, 99999)} is attached.",
                f"The serial on the back says SN {self.rng.randint(1000, 9999)}-{self.rng.randint(1000, 9999)}.",
                f"We're at flat {self.rng.randint(2, 60)}, if that helps.",
            ]
        )

    def write(self, issue_type: str) -> dict:
        """One message and its expected fields."""
        product = self.pick(PRODUCTS)
        if self.held_out:
            template, nickname = self.pick(ISSUES[issue_type][-HELD_OUT_WORDINGS:]), HELD_OUT_NICKNAMES[product]
        else:
            template = self.pick(ISSUES[issue_type][:-HELD_OUT_WORDINGS])
            nickname = self.pick([name for name in NICKNAMES[product] if name != HELD_OUT_NICKNAMES[product]])
        problem = template.format(p=nickname)
        parts = [problem[0].upper() + problem[1:] + ("?" if issue_type == "how_to" else ".")]
        triggers = [
            text
            for text, products, issues in HIGH_TRIGGERS
            if (products is None or product in products) and (issues is None or issue_type in issues)
        ]
        roll = self.rng.random()
        if roll < 0.33:
            urgency, trigger = "high", self.pick(triggers)
            parts.insert(self.rng.choice([0, 1, 1, 1]), trigger[0].upper() + trigger[1:] + ".")
        elif roll < 0.5:
            urgency = "low"
            parts.append(self.pick(LOW_MARKERS))
        else:
            urgency = "low" if issue_type == "how_to" else "medium"
        order_id = f"HH-{self.rng.randint(10000, 99999)}" if self.rng.random() < 0.6 else None
        if order_id:
            parts.insert(self.rng.randint(1, len(parts)), self.order_reference(order_id))
        if self.rng.random() < 0.45:
            parts.insert(self.rng.randint(1, len(parts)), self.decoy())
        sign_off = self.pick(SIGN_OFFS)
        text = " ".join(p for p in [self.pick(GREETINGS), *parts] if p)
        if sign_off:
            text += f" {sign_off}, {self.pick(NAMES)}"
        expected = {"product": product, "issue_type": issue_type, "urgency": urgency, "order_id": order_id}
        return {"text": text, "expected": expected}


# ---------------------------------------------------------------------------
# Replies: Halcyon Home's answers to the tickets, in its house style
# ---------------------------------------------------------------------------
# Every reply follows the rules of helpers.prompting.house_style.HOUSE_STYLE (greeting, product name,
# order number, a next step with a time frame, tone, length, sign-off); the sentences in
# between are drawn from pools, so the style is fixed and the wording varies.

REPLY_THANKS = [
    "Thank you for getting in touch about your {product}.",
    "Thank you for writing to us about your {product}.",
    "Thanks for letting us know what is happening with your {product}.",
    "Thank you for your message about the {product}.",
]
REPLY_ORDER = [
    "I have found order {order_id} on our system.",
    "I can see order {order_id} in our records.",
    "I have pulled up order {order_id}.",
]
REPLY_NO_ORDER = [
    "Could you reply with your order number (it starts with HH-) so we can find it quickly?",
    "Please send us the order number, which starts with HH-, so we can look it up.",
]
REPLY_STEPS = {
    "billing": [
        "Our billing team will check every charge on your account and correct any mistake within {days} working days.",
        "I have passed the charges to our billing team, who will review them and reply within {days} working days.",
    ],
    "delivery": [
        "I have opened a trace on your Courier Pass, and we will update you within {days} working days.",
        "Our delivery team is tracing the parcel now and will send you an update within {days} working days.",
    ],
    "defect": [
        "Our device team will look at the logs from your hub and call you within {hours} hours.",
        "We will send you the steps to reset the pairing, and an engineer will follow up within {hours} hours.",
    ],
    "account": [
        "We will reset your Keyring access and email you a secure link within {hours} hours.",
        "Our accounts team will verify the change and confirm it by email within {hours} hours.",
    ],
    "how_to": [
        "We will email you a short step-by-step guide for this within {hours} hours.",
        "I have asked our product specialists to send you the exact steps within {hours} hours.",
    ],
    "refund": [
        "We will start your Swap-Back and confirm the refund by email within {days} working days.",
        "Our returns team will process the refund and email you within {days} working days.",
    ],
}
REPLY_SAFETY = "For your safety, please unplug the device and keep it away from anything flammable until we reply."
REPLY_CLOSING = [
    "If anything else comes up, just reply to this email.",
    "We are here if you need anything else in the meantime.",
    "Thank you for your patience while we sort this out.",
]
REPLY_SIGN_OFF = "Warm wishes,\nThe Halcyon Home team"
SAFETY_TRIGGERS = ("burning smell", "sparked", "too hot", "smoke", "thermal trip")


def customer_name(ticket_text: str) -> str | None:
    """The first name a ticket is signed with ("... Cheers, Sofia"), else None."""
    found = re.search(rf"(?:{'|'.join(s for s in SIGN_OFFS if s)}), ({'|'.join(NAMES)})$", ticket_text)
    return found.group(1) if found else None


def write_reply(rng: random.Random, ticket: dict) -> dict:
    """The house-style reply to one ticket, and the facts the style checker needs."""
    expected, text = ticket["expected"], ticket["text"]
    facts = {
        "name": customer_name(text),
        "product": expected["product"],
        "order_id": expected["order_id"],
        "issue_type": expected["issue_type"],
    }
    body = [rng.choice(REPLY_THANKS).format(product=facts["product"])]
    if any(trigger in text for trigger in SAFETY_TRIGGERS):
        body.append(REPLY_SAFETY)
    body.append(
        rng.choice(REPLY_ORDER).format(order_id=facts["order_id"]) if facts["order_id"] else rng.choice(REPLY_NO_ORDER)
    )
    body.append(
        rng.choice(REPLY_STEPS[facts["issue_type"]]).format(days=rng.choice([2, 3, 5]), hours=rng.choice([24, 48]))
    )
    body.append(rng.choice(REPLY_CLOSING))
    greeting = f"Hi {facts['name']}," if facts["name"] else "Hi there,"
    return {"text": text, "reply": f"{greeting}\n\n{' '.join(body)}\n\n{REPLY_SIGN_OFF}", "facts": facts}


def make_replies(tickets: dict, seed: int) -> dict:
    rng = random.Random(f"replies-{seed}")
    return {split: [write_reply(rng, ticket) for ticket in rows] for split, rows in tickets.items()}


# ---------------------------------------------------------------------------
# Probe: easy questions a small instruction model should mostly get right
# ---------------------------------------------------------------------------

PROBE = [
    ("What is the capital of France?", ["Paris"], "fact"),
    ("What colour is the sky on a clear day?", ["blue"], "fact"),
    ("What is the opposite of hot?", ["cold"], "fact"),
    ("How many legs does a spider have?", ["8", "eight"], "fact"),
    ("How many days are there in a week?", ["7", "seven"], "fact"),
    ("What is the capital of Japan?", ["Tokyo"], "fact"),
    ("Which animal says 'moo'?", ["cow"], "fact"),
    ("What do bees make?", ["honey"], "fact"),
    ("What is frozen water called?", ["ice"], "fact"),
    ("Which planet do we live on?", ["Earth"], "fact"),
    ("What colour is grass?", ["green"], "fact"),
    ("What is the opposite of up?", ["down"], "fact"),
    ("How many hours are there in a day?", ["24", "twenty-four", "twenty four"], "fact"),
    ("What is the capital of Italy?", ["Rome"], "fact"),
    ("What gas do humans need to breathe to stay alive?", ["oxygen"], "fact"),
    ("In which country is the Eiffel Tower?", ["France"], "fact"),
    ("What is the largest ocean on Earth?", ["Pacific"], "fact"),
    ("What colour is a ripe banana?", ["yellow"], "fact"),
    ("How many months are there in a year?", ["12", "twelve"], "fact"),
    ("Which season comes after winter?", ["spring"], "fact"),
    ("What is the opposite of big?", ["small", "little", "tiny"], "fact"),
    ("What star is at the centre of our solar system?", ["Sun"], "fact"),
    ("What is 2 + 3?", ["5", "five"], "arithmetic"),
    ("What is 10 - 4?", ["6", "six"], "arithmetic"),
    ("What is 3 times 3?", ["9", "nine"], "arithmetic"),
    ("What is 7 + 8?", ["15", "fifteen"], "arithmetic"),
    ("What is 20 divided by 4?", ["5", "five"], "arithmetic"),
    ("What is 100 + 1?", ["101", "one hundred and one", "one hundred one"], "arithmetic"),
    ("What is 6 + 6?", ["12", "twelve"], "arithmetic"),
    ("What is 9 - 9?", ["0", "zero"], "arithmetic"),
    ("What is 5 times 2?", ["10", "ten"], "arithmetic"),
    ("What number comes after 99?", ["100", "one hundred"], "arithmetic"),
    ("What is half of 10?", ["5", "five"], "arithmetic"),
    ("What is 4 + 4?", ["8", "eight"], "arithmetic"),
    ("Answer with one word in uppercase: what is the opposite of no?", ["yes"], "instruction"),
    ("Reply with yes or no: is fire hot?", ["yes"], "instruction"),
    ("Reply with yes or no: can fish ride bicycles?", ["no"], "instruction"),
    ("List the colours red, green and blue, separated by commas.", ["red, green, blue"], "instruction"),
    ("Repeat exactly this word: banana", ["banana"], "instruction"),
    ("Translate 'hello' into French. Answer with one word.", ["bonjour", "salut"], "instruction"),
    ("Write the number seven as a digit.", ["7"], "instruction"),
    ("Spell the word 'cat' backwards.", ["tac", "t a c", "t-a-c"], "instruction"),
    ("Complete the sequence: 1, 2, 3, 4, ...", ["5", "five"], "instruction"),
    ("Answer with a single word: what do you call a baby dog?", ["puppy", "pup"], "instruction"),
    ("Give the first letter of the English alphabet.", ["a"], "instruction"),
    ("Reply with yes or no: is the moon made of cheese?", ["no"], "instruction"),
    ("Write the word 'hello' in capital letters.", ["hello"], "instruction"),
    ("Name one primary colour. Answer with one word.", ["red", "blue", "yellow"], "instruction"),
    ("Say 'good morning' in Spanish.", ["buenos dias", "buenos días"], "instruction"),
    ("Put these numbers in order from smallest to largest: 3, 1, 2.", ["1, 2, 3", "1 2 3"], "instruction"),
]


# ---------------------------------------------------------------------------
# Putting the sets together
# ---------------------------------------------------------------------------


def word_sets(texts):
    """Binary word-presence matrix (rows: texts) and the number of words per text."""
    words = CountVectorizer(binary=True, lowercase=True, token_pattern=r"[a-z0-9']+").fit_transform(texts)
    return words, np.asarray(words.sum(axis=1)).ravel()


def jaccard_matrix(texts_a, texts_b=None) -> np.ndarray:
    """Word-set Jaccard similarity between every text of `texts_a` and of `texts_b`."""
    texts_b = texts_a if texts_b is None else texts_b
    words, sizes = word_sets(list(texts_a) + list(texts_b))
    a, b = words[: len(texts_a)], words[len(texts_a) :]
    shared = (a @ b.T).toarray()
    union = sizes[: len(texts_a), None] + sizes[None, len(texts_a) :] - shared
    return shared / np.maximum(union, 1)


def drop_near_duplicates(texts) -> list[int]:
    """Indices of texts to keep: each kept text is far from every earlier kept one."""
    similarity = jaccard_matrix(texts)
    kept = []
    for i in range(len(texts)):
        if not kept or similarity[i, kept].max() < NEAR_DUPLICATE_JACCARD:
            kept.append(i)
    return kept


def make_split_sets(rng, write, classes, sizes, oversample: float = 1.5):
    """Balanced, near-duplicate-free examples, dealt into splits.

    `write(cls)` makes one example (a dict with "text"); `classes` are the
    values to balance over; `sizes` maps split -> number of examples.
    """
    per_class = {split: size // len(classes) for split, size in sizes.items()}
    needed = sum(per_class.values())
    candidates = [write(cls) for _ in range(int(needed * oversample)) for cls in classes]
    kept = [candidates[i] for i in drop_near_duplicates([c["text"] for c in candidates])]
    splits = {split: [] for split in sizes}
    for cls_index, cls in enumerate(classes):
        pool = [c for c in kept if c["class"] == cls]
        assert len(pool) >= needed, f"not enough distinct examples for {cls}"
        start = 0
        for split in sizes:
            splits[split] += pool[start : start + per_class[split]]
            start += per_class[split]
    for split in splits:
        rng.shuffle(splits[split])
        for example in splits[split]:
            del example["class"]
    return splits


def make_reviews(seed: int):
    rng = random.Random(f"reviews-{seed}")
    writer = ReviewWriter(rng)

    def write(label):
        text, label = writer.write(label)
        return {"text": text, "label": label, "class": label}

    return make_split_sets(rng, write, REVIEW_LABELS, REVIEW_SIZES)


def make_tickets(seed: int):
    """Train and validation from the usual wordings; test only from the held-out ones (`HELD_OUT_NICKNAMES`)."""
    rng = random.Random(f"tickets-{seed}")
    seen, held_out = TicketWriter(rng), TicketWriter(rng, held_out=True)
    splits = make_split_sets(
        rng,
        lambda issue_type: {**seen.write(issue_type), "class": issue_type},
        ISSUE_TYPES,
        {split: TICKET_SIZES[split] for split in ("train", "validation")},
        oversample=3,
    )
    splits.update(
        make_split_sets(
            rng,
            lambda issue_type: {**held_out.write(issue_type), "class": issue_type},
            ISSUE_TYPES,
            {"test": TICKET_SIZES["test"]},
            oversample=6,
        )
    )
    return splits


def csv_field(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"') else text


# ---------------------------------------------------------------------------
# Headlines: an example of "your own task" (notebook 08, `python -m helpers.experiments.decide`)
# ---------------------------------------------------------------------------

HEADLINE_SECTIONS = ("business", "culture", "science", "sport")
HEADLINES_PER_SECTION = 60
HEADLINE_SLOTS = {
    "team": ["Rovers", "United", "Harbour City", "the Falcons", "Northbridge", "Athletic", "the Wolves", "Eastfield"],
    "athlete": ["Mara Quinn", "Tom Okafor", "Lena Vos", "Ravi Shah", "Ana Ruiz", "Jonas Berg", "Keira Doyle"],
    "comp": ["the cup", "the league", "the open", "the championships", "the derby", "the final"],
    "company": ["Altmark", "Brightwell", "Corvex", "Dunmore Foods", "Elstree Bank", "Fenwick Motors", "Gale Energy"],
    "amount": ["$2bn", "$450m", "$90m", "$1.2bn", "$600m"],
    "artist": ["the Lanterns", "Ivy Marsh", "Oskar Lind", "the Paper Kites", "Noor Haddad", "Juno Reyes"],
    "film": ["The Long Tide", "Glass Harbour", "Night Orchard", "Small Hours", "Paper Moon Road"],
    "place": ["the Arctic", "the Atacama desert", "a Welsh bog", "the deep Pacific", "the Alps", "an Antarctic lake"],
    "thing": [
        "poor sleep",
        "daily walking",
        "city noise",
        "ultra-processed food",
        "screen time",
        "cold water swimming",
    ],
    "animal": ["frog", "beetle", "deep-sea fish", "orchid", "bat", "moth"],
    "city": ["Lisbon", "Oslo", "Nairobi", "Osaka", "Toronto", "Leeds"],
    "n": ["two", "three", "five", "seven", "twelve"],
    "pct": ["3", "4", "6", "9", "12"],
}
HEADLINE_TEMPLATES = {  # the last template of each section borrows another section's words on purpose
    "sport": [
        "{team} beat {team2} in {comp} after late drama",
        "{athlete} breaks course record in {city}",
        "{team} sign striker from {team2} on loan",
        "Injury rules {athlete} out of {comp}",
        "{athlete} wins {comp} in straight sets",
        "{team} sack manager after {n} defeats",
        "Fans return as {team} reopen stadium in {city}",
        "{company} sponsorship deal keeps {team} afloat before {comp}",
    ],
    "science": [
        "Researchers find ancient microbes in {place}",
        "{n} new species of {animal} found in {place}",
        "New study links {thing} to memory loss",
        "Telescope spots water vapour around distant planet",
        "Scientists grow {animal} cells in the lab for the first time",
        "Drought in {place} revealed by satellite data",
        "Vaccine trial in {city} shows strong early results",
        "Study finds {athlete}-style training changes heart muscle",
    ],
    "business": [
        "{company} shares fall {pct}% after profit warning",
        "{company} to cut {n} hundred jobs in {city}",
        "{company} agrees {amount} takeover of {company2}",
        "Inflation rises to {pct}% as energy prices climb",
        "{company} opens new factory in {city}",
        "Regulator fines {company} over misleading adverts",
        "{company} profits jump {pct}% on strong demand",
        "{company} buys {team} in {amount} deal",
    ],
    "culture": [
        "{artist} announce world tour starting in {city}",
        "{film} wins top prize at {city} festival",
        "Review: {film} is a quiet triumph",
        "{city} museum opens exhibition of {artist}'s early work",
        "{artist} release surprise album",
        "Theatre in {city} saved by local campaign",
        "{film} director on making a film about {thing}",
        "{athlete} to star in {film} sequel",
    ],
}


def make_headlines(seed: int = SEED) -> list[dict]:
    """News headlines and the section each was filed under: HEADLINES_PER_SECTION per section, all different."""
    rng = random.Random(seed + 7)
    rows = []
    for section in HEADLINE_SECTIONS:
        made = set()
        while len(made) < HEADLINES_PER_SECTION:
            fill = {slot: rng.choice(words) for slot, words in HEADLINE_SLOTS.items()}
            fill.update(
                team2=rng.choice([t for t in HEADLINE_SLOTS["team"] if t != fill["team"]]),
                company2=rng.choice([c for c in HEADLINE_SLOTS["company"] if c != fill["company"]]),
            )
            headline = rng.choice(HEADLINE_TEMPLATES[section]).format(**fill)
            headline = headline[0].upper() + headline[1:]
            if headline not in made:
                made.add(headline)
                rows.append({"headline": headline, "section": section})
    rng.shuffle(rows)
    return rows


def write_all(out_dir: Path, seed: int = SEED):
    """Write every data file under `out_dir`; return the review and ticket splits."""
    reviews, tickets = make_reviews(seed), make_tickets(seed)
    (out_dir / "synthetic_reviews").mkdir(parents=True, exist_ok=True)
    (out_dir / "tickets").mkdir(parents=True, exist_ok=True)
    (out_dir / "probe").mkdir(parents=True, exist_ok=True)
    (out_dir / "replies").mkdir(parents=True, exist_ok=True)
    replies = make_replies(tickets, seed)
    for split in SPLITS:
        lines = ["text,label"] + [f"{csv_field(r['text'])},{r['label']}" for r in reviews[split]]
        (out_dir / "synthetic_reviews" / f"{split}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        lines = [json.dumps(t, ensure_ascii=False) for t in tickets[split]]
        (out_dir / "tickets" / f"{split}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        lines = [json.dumps(r, ensure_ascii=False) for r in replies[split]]
        (out_dir / "replies" / f"{split}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = [json.dumps({"question": q, "answers": a, "kind": k}, ensure_ascii=False) for q, a, k in PROBE]
    (out_dir / "probe" / "probe.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out_dir / "headlines").mkdir(parents=True, exist_ok=True)
    lines = ["headline,section"] + [f"{csv_field(r['headline'])},{r['section']}" for r in make_headlines(seed)]
    (out_dir / "headlines" / "headlines.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return reviews, tickets


# ---------------------------------------------------------------------------
# Report: the figures quoted in the data cards
# ---------------------------------------------------------------------------

POSITIVE_WORDS = {
    "good",
    "great",
    "love",
    "brilliant",
    "fantastic",
    "superb",
    "excellent",
    "amazing",
    "comfortable",
    "sturdy",
    "quick",
    "reliable",
    "happy",
    "pleased",
    "decent",
    "awesome",
}
NEGATIVE_WORDS = {
    "bad",
    "awful",
    "dreadful",
    "rubbish",
    "garbage",
    "useless",
    "terrible",
    "broke",
    "flimsy",
    "slow",
    "noisy",
    "disappointed",
    "disappointing",
    "hate",
    "unhappy",
    "not",
}


def lexicon_label(text: str) -> str:
    """A keyword rule: count positive minus negative words, map the score to a label."""
    words = re.findall(r"[a-z']+", text.lower())
    score = sum(w in POSITIVE_WORDS for w in words) - sum(w in NEGATIVE_WORDS for w in words)
    return (
        "very_negative"
        if score <= -2
        else "negative"
        if score == -1
        else "mixed"
        if score == 0
        else "positive"
        if score == 1
        else "very_positive"
    )


def keyword_baselines(train, test) -> dict:
    """Test accuracy of a bag-of-words logistic regression and of the lexicon rule."""
    texts, labels = [r["text"] for r in train], [r["label"] for r in train]
    test_texts, test_labels = [r["text"] for r in test], [r["label"] for r in test]
    scores = {}
    for name, ngrams in (("bag of words (unigrams)", (1, 1)), ("bag of words (1-2 grams)", (1, 2))):
        model = make_pipeline(
            CountVectorizer(ngram_range=ngrams, binary=True), LogisticRegression(max_iter=2000, C=1.0)
        )
        model.fit(texts, labels)
        scores[f"logistic regression, {name}"] = float(np.mean(model.predict(test_texts) == np.array(test_labels)))
    scores["lexicon rule (positive minus negative words)"] = float(
        np.mean([lexicon_label(text) == label for text, label in zip(test_texts, test_labels)])
    )
    return scores


def cross_split_similarity(splits) -> dict:
    """Highest word-set Jaccard and character 3-5-gram cosine between texts of different splits."""
    texts = {split: [r["text"] for r in rows] for split, rows in splits.items()}
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).fit(sum(texts.values(), []))
    result = {}
    for a, b in (("train", "validation"), ("train", "test"), ("validation", "test")):
        exact = len({t.lower().strip() for t in texts[a]} & {t.lower().strip() for t in texts[b]})
        jaccard = jaccard_matrix(texts[a], texts[b]).max()
        cosine = (chars.transform(texts[a]) @ chars.transform(texts[b]).T).max()
        result[f"{a} vs {b}"] = (exact, round(float(jaccard), 3), round(float(cosine), 3))
    return result


def print_report(reviews, tickets):
    print("== reviews ==")
    for split, rows in reviews.items():
        counts = Counter(r["label"] for r in rows)
        words = [len(r["text"].split()) for r in rows]
        print(
            f"{split:<10} {len(rows):>5} rows  "
            + "  ".join(f"{label}={counts[label]}" for label in REVIEW_LABELS)
            + f"  words min/median/max={min(words)}/{int(np.median(words))}/{max(words)}"
        )
    for name, accuracy in keyword_baselines(reviews["train"], reviews["test"]).items():
        print(f"test accuracy, {name}: {accuracy:.3f}  (chance 0.200)")
    print("== tickets ==")
    for split, rows in tickets.items():
        fields = {
            f: Counter(
                str(t["expected"][f]) if f != "order_id" else ("null" if t["expected"][f] is None else "id")
                for t in rows
            )
            for f in ("issue_type", "urgency", "order_id")
        }
        print(
            f"{split:<10} {len(rows):>5} rows  "
            + "  ".join(f"{f}: " + ", ".join(f"{k}={v}" for k, v in sorted(c.items())) for f, c in fields.items())
        )
    print("== near-duplicates across splits: (exact matches, max word Jaccard, max char 3-5-gram cosine) ==")
    for name, splits in (("reviews", reviews), ("tickets", tickets)):
        for pair, figures in cross_split_similarity(splits).items():
            print(f"{name:<8} {pair:<20} {figures}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "data", help="folder to write into")
    parser.add_argument("--report", action="store_true", help="print sizes, baselines and duplicate checks")
    args = parser.parse_args()
    reviews, tickets = write_all(args.out)
    print(f"wrote reviews, tickets, replies, probe and headlines under {args.out}")
    if args.report:
        print_report(reviews, tickets)


if __name__ == "__main__":
    main()
