"""Errors about the user's input whose message says everything.

A command-line tool prints them as ``error: <message>`` with exit status 1
(:func:`spinemm.utils.refusals_as_exit`), not as a traceback: the message
names the file and the problem, and a traceback would bury it.
"""


class InputError(ValueError):
    """An input (file, checkpoint, volume) that spinemm refuses; the message
    names it and says why."""
