"""House style: Halcyon Home's rules for replies to customers, and a checker that scores a reply against them.

    checks = check_reply(reply_text, facts)    # {rule: True/False} for the rules below (form, then content)
    style_score(reply_text, facts)             # the share of rules met, 0 to 1

`facts` is what the reply must get right about its ticket: the customer's first name (or None),
the product's canonical name, the order id (or None) and the issue type; each row of
data/replies/*.jsonl carries them. The rules are deliberately mechanical, so a machine can check
them on every reply; the data card (data/replies/README.md) shows replies that meet them all. The replies task
(`helpers.prompting.tasks.REPLIES`) scores a reply with `style_score`; notebook 07 measures it.
"""

import re

from ..core.errors import CourseError
from .data import PRODUCTS, REPLY_FACTS

SIGN_OFF = "Warm wishes,\nThe Halcyon Home team"
BANNED_PHRASES = ("unfortunately", "inconvenience", "dear ", "asap", "as soon as possible")
LENGTH = (30, 90)  # words between the greeting and the sign-off
_NEXT_STEP = re.compile(r"\bwithin (\d+) (hours|working days)\b")

HOUSE_STYLE = f"""\
Halcyon Home house style for replies to customers:
1. Greeting: the first line is "Hi <first name>," with the name the customer signed with, or "Hi there," if they gave none.
2. Product: call the product by its full name (for example "Orbit Hub X2"), never a nickname.
3. Order: quote the order number as HH- and five digits (for example "HH-48213"); if the customer gave none, ask for it ("order number").
4. Next step: promise one concrete next step with a time frame, "within 24 hours", "within 48 hours" or "within <N> working days".
5. Tone: calm and warm; no exclamation marks; never "unfortunately", "inconvenience", "Dear" or "as soon as possible".
6. Length: between {LENGTH[0]} and {LENGTH[1]} words between the greeting and the sign-off.
7. Sign-off: end with exactly two lines: "Warm wishes," then "The Halcyon Home team".
8. Facts: name only the customer's product and order number; never another product, never an order number they did not give.
9. Promises: state no policy or offer of your own (refusing refunds, warranty terms, discounts, compensation)."""

FORM_RULES = ("greeting", "product", "order", "next_step", "tone", "length", "sign_off")
CONTENT_RULES = ("true_facts", "no_invented_policy")  # what a reply says, not how: a fluent reply that invents fails
RULES = FORM_RULES + CONTENT_RULES
# Statements the company never makes: a reply that makes them invents a policy (refusals, terms, offers).
INVENTED_POLICY = re.compile(
    r"\bno refunds?\b|\bnon-?refundable\b|\bnot (be )?(eligible|covered|refundable)\b|\bwarrant(y|ies)\b|\bpolicy\b|"
    r"\b(can't|cannot|can not|won't|will not|don't|do not) (refund|replace|repair|offer|give|provide|accept|help)\b|"
    r"\bfree of charge\b|\bfree (replacement|repair|upgrade)\b|\bcompensat|\bvoucher|\bdiscount",
    re.IGNORECASE,
)
_ORDER_ID = re.compile(r"\bHH-?\s?\d{5}\b", re.IGNORECASE)


def check_reply(reply: str, facts: dict) -> dict:
    """Which of the house-style rules a reply meets: {rule: bool}, in the order of RULES (the form rules, then the
    content rules: only the ticket's own facts, and no invented policy)."""
    if not isinstance(reply, str):
        raise CourseError(f"A reply is a text (got {type(reply).__name__}).")
    missing = [key for key in REPLY_FACTS if key not in facts]
    if missing:
        raise CourseError(f"The facts of a reply need {', '.join(missing)} (see data/replies/README.md).")
    text = reply.strip().replace("\r\n", "\n")
    lines = text.split("\n")
    greeting = f"Hi {facts['name']}," if facts["name"] else "Hi there,"
    body = text[len(lines[0]) :]
    if body.rstrip().endswith(SIGN_OFF):
        body = body.rstrip()[: -len(SIGN_OFF)]
    lowered = text.lower()
    if facts["order_id"]:
        order = facts["order_id"] in text
    else:
        order = "order number" in lowered and re.search(r"HH-\d{5}", text) is None
    return {
        "greeting": lines[0].strip() == greeting,
        "product": facts["product"] in text,
        "order": order,
        "next_step": _NEXT_STEP.search(text) is not None,
        "tone": "!" not in text and not any(phrase in lowered for phrase in BANNED_PHRASES),
        "length": LENGTH[0] <= len(body.split()) <= LENGTH[1],
        "sign_off": text.endswith(SIGN_OFF),
        "true_facts": (
            not any(product in text for product in PRODUCTS if product != facts["product"])
            and all(
                re.sub(r"[\s-]", "", found).upper() == re.sub(r"-", "", facts["order_id"] or "")
                for found in _ORDER_ID.findall(text)
            )
        ),
        "no_invented_policy": INVENTED_POLICY.search(text) is None,
    }


def style_score(reply: str, facts: dict) -> float:
    """The share of the house-style rules a reply meets (1.0: all of them)."""
    checks = check_reply(reply, facts)
    return sum(checks.values()) / len(checks)
