"""Checkable exercises: every notebook ends with a few, and each check says what is right or gives a hint."""


def check(name: str, passed: bool, hint: str) -> bool:
    """Print a tick when an exercise's answer passes, or a hint when it does not yet."""
    print(f"✅ {name}: well done!" if passed else f"❌ {name}: not yet. Hint: {hint}")
    return bool(passed)
