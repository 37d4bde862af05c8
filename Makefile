# Aliases for the two commands in the README; dev.py does the work (venv, services, processes).
.PHONY: run test stop

run:
	python3 dev.py run

test:
	python3 dev.py test

# Stops the embedded PostgreSQL and Redis if something left them running.
stop:
	python3 dev.py stop
