"""The commands of `./kurz`: each takes a Context and returns a Result; checkers.cli renders it."""
