# Café prices, in francs
PRICES = {"café": 2}


def price(name):
    return PRICES[name]
