"""A model described for people: its equations in LaTeX and a standalone PyMC program."""
