from helpers.core.exercises import check


def test_check_reports_success_and_hint(capsys):
    assert check("Tokens", True, "count them") is True
    assert check("Tokens", False, "count them") is False
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("✅ Tokens")
    assert out[1].startswith("❌ Tokens") and out[1].endswith("Hint: count them")
