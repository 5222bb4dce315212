"""Live URL checks: the site as a visitor sees it, from the student's (or teacher's) computer.

client.py  a small HTTP(S) client: explicit address override (connect-to), private CA, budget
gather.py  the requests a checker makes (a few dozen at most) → "live facts" (no cookie values)
cli.py     `./kurz web --target https://…` and the live part of the SVS profile
"""
