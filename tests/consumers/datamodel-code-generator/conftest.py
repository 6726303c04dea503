# The fakes, started by the vpcep-fake wheel's pytest plugin (tests/consumers/fakes.py).
pytest_plugins = ["fakes"]
