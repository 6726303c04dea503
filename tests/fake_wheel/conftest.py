# pytester runs a test in a child session to check the fixture stops its fakes.
pytest_plugins = ["pytester"]
