class Square:
    def area(self):
        return self.side ** 2


class Cube:
    def area(self):
        return self.side ** 2
