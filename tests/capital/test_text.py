from capital.text import counted


def test_counted_says_one_thing_and_many_things():
    assert counted(1, "application") == "1 application"
    assert counted(0, "refund") == "0 refunds"
    assert counted(50000, "share") == "50,000 shares"
    assert counted(2, "society", "societies") == "2 societies"
