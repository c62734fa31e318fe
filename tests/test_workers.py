"""How the suite shares its work between pytest-xdist's workers."""

import pytest


def test_the_tests_of_a_file_run_on_one_worker(request):
    """Module fixtures hold fits: a file whose tests spread over both workers fits each
    model twice. Its tests carry their file's group in their id when grouped."""
    config = request.config
    # a worker's own options say "loadgroup" where the run was started with --dist loadgroup
    if not hasattr(config, "workerinput") or not getattr(config.option, "loadgroup", False):
        pytest.skip("runs under pytest-xdist with --dist loadgroup")
    assert request.node.nodeid.endswith("@test_workers")
