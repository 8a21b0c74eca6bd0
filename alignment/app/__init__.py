"""The classroom app (alignment-app): the model in a browser for a class, on Solara. The logic lives in
session.py and classroom.py, testable without a browser; page.py only lays it out."""
