"""The ``data`` schema of each event type, one module per category.

Each schema requires the fields a receiver relies on to act on the event (the
task that was marked, the learner, the mark) and checks the type of the rest
when they are present. Fields a schema does not name are kept.
"""
