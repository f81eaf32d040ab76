from __future__ import annotations

from connector.catalogue import flatten_sample, get_event_type


def test_flatten_sample_walks_objects_into_dotted_paths():
    sample = {"id": "e1", "organisation": {"id": "org_demo", "name": "Demo"}}

    leaves = flatten_sample(sample)

    assert leaves == [
        ("id", "e1"),
        ("organisation.id", "org_demo"),
        ("organisation.name", "Demo"),
    ]


def test_flatten_sample_keeps_lists_whole():
    files = [{"id": "f1", "filename": "log.pdf"}]
    sample = {"user": {"tags": ["a", "b"]}, "data": {"files": files}}

    leaves = flatten_sample(sample)

    assert leaves == [("user.tags", ["a", "b"]), ("data.files", files)]


def test_flatten_sample_keeps_null_and_empty_objects_as_leaves():
    sample = {"user": None, "data": {}}

    leaves = flatten_sample(sample)

    assert leaves == [("user", None), ("data", {})]


def test_flatten_sample_of_a_catalogue_sample():
    sample = get_event_type("task.assessed.marked").sample

    leaves = dict(flatten_sample(sample))

    assert leaves["data.task.id"] == "t_scenario_log"
    assert leaves["data.mark"] == "Not yet achieved"
    assert leaves["course.tags"] == ["first-aid", "refresher"]
    assert "data" not in leaves
    assert "data.task" not in leaves
