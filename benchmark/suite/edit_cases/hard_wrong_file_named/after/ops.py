from calc import add, sub

OPS = {"+": add, "-": sub}
