from djmoney.money import Money


def gbp(amount) -> Money:
    return Money(amount, "GBP")
