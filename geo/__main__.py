from geo.cli import console

console()
