"""argparse in Czech: a parser whose errors are CheckerErrors (exit 2, a Czech message), Czech
usage and help, and number options refused in Czech (used by every grammar: ./kurz, class, lab)."""

from __future__ import annotations

import argparse

from checkers.errors import CheckerError


class CzechArgumentParser(argparse.ArgumentParser):
    def error(self, message: str):
        raise CheckerError(f"Neplatné parametry: {translate_argparse(message)}",
                           f"Nápovědu vypíše `{self.prog} --help`.")  # the sub-command's own help


class CzechHelpFormatter(argparse.RawDescriptionHelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        return super().add_usage(usage, actions, groups, "použití: " if prefix is None else prefix)


def translate_argparse(message: str) -> str:
    replacements = (("unrecognized arguments", "neznámé parametry"), ("expected one argument", "chybí hodnota"),
                    ("argument ", "parametr "), ("invalid choice", "neplatná volba"), ("choose from", "možnosti"),
                    ("invalid int value", "není celé číslo"), ("invalid float value", "není číslo"),
                    ("the following arguments are required", "chybí povinné parametry"),
                    ("ambiguous option", "nejednoznačná volba"), ("could match", "může znamenat"),
                    ("not allowed with argument", "nejde použít spolu s"),
                    ("expected at most one argument", "čeká nejvýš jednu hodnotu"))
    for old, new in replacements:
        message = message.replace(old, new)
    return message


def number_in(low: float, high: float, what: str, example: str, integer: bool = False):
    """An argparse type: a finite number from `low` to `high`, refused in Czech otherwise."""

    def convert(text: str):
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"„{text}“ není {'celé ' if integer else ''}číslo ({what}, např. "
                                             f"{example})") from None
        if value != value or not low <= value <= high:  # NaN, inf, out of range
            raise argparse.ArgumentTypeError(f"{text} není v rozsahu {czech_number(low)} až {czech_number(high)} "
                                             f"({what}, např. {example})")
        return value

    return convert


def czech_number(value: float) -> str:
    return f"{value:g}".replace(".", ",")
