# Café prices, in francs
PRICES = {"café": 2}


def price(name):
    return PRICES.get(name, 0)
