"""The one error tree: every exception class of the analyzer and its kinds is defined in analyzer/errors.py."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import analyzer
import checks
from analyzer import errors


def _modules() -> list[str]:
    return sorted(
        info.name
        for package in (analyzer, checks)
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
        if info.name != errors.__name__
    )


class TestErrorTree:
    """Exception classes live in one module, and its docstring tree names each of them."""

    @pytest.mark.parametrize("module_name", _modules())
    def test_no_module_defines_its_own_exception(self, module_name):
        module = importlib.import_module(module_name)
        foreign = {
            f"{module_name}.{name}"
            for name, obj in vars(module).items()
            if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__ == module_name
        }
        assert foreign == set()

    def test_the_docstring_tree_names_every_class(self):
        classes = [
            name
            for name, obj in vars(errors).items()
            if inspect.isclass(obj) and issubclass(obj, Exception) and obj.__module__ == errors.__name__
        ]
        assert len(classes) >= 20
        assert [
            name for name in classes if f" {name} (" not in (errors.__doc__ or "") and name != "ResendableFailure"
        ] == []
