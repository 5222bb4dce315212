# The two set-up commands of the README. Both work on a fresh Debian 12 machine.
.PHONY: start test

start:  ## book + course VM + course status (the student's main job)
	@bash scripts/start.sh

test:   ## the whole test suite, every tier (what CI runs)
	@bash scripts/test.sh
