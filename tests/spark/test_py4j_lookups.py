"""Resolved JVM names are kept: a pyspark function call costs one round trip, not three."""

import contextlib
from typing import Iterator, List

from py4j import protocol
from pyspark.sql import functions as F

from gamboge.spark import py4j_lookups


@contextlib.contextmanager
def commands_sent(spark) -> Iterator[List[str]]:
    """Every command the driver sends the JVM inside the block."""
    client = spark.sparkContext._gateway._gateway_client
    sent: List[str] = []
    send = client.send_command

    def recording(command: str, *args, **kwargs) -> str:
        sent.append(command)
        return send(command, *args, **kwargs)

    client.send_command = recording  # the py4j objects send through their client
    try:
        yield sent
    finally:
        del client.send_command


def _lookups(sent: List[str]) -> List[str]:
    return [c for c in sent if c.startswith(protocol.REFLECTION_COMMAND_NAME)]


def test_a_function_resolved_once_is_called_without_asking_the_jvm_again(spark):
    py4j_lookups.install()
    F.abs(F.lit(-1))  # resolves functions.abs (and lit) once
    with commands_sent(spark) as sent:
        columns = [F.abs(F.lit(-n)) for n in range(5)]
    assert _lookups(sent) == []
    assert len([c for c in sent if c.startswith(protocol.CALL_COMMAND_NAME)]) == 10  # abs and lit, five times
    assert spark.range(1).select(*[c.alias(f"c{n}") for n, c in enumerate(columns)]).first() == tuple(range(5))


def test_a_static_field_is_read_from_the_jvm_every_time(spark):
    py4j_lookups.install()
    system = spark.sparkContext._jvm.System  # java.lang.System, through the view's java.lang import
    system.getProperty("java.version")
    with commands_sent(spark) as sent:
        assert spark.sparkContext._jvm.System is system  # the class: kept
        system.getProperty("java.version")  # a method: kept
        assert system.out is not None  # a static field: asked for
    assert len(_lookups(sent)) == 1
    assert "out" in _lookups(sent)[0]


def test_a_class_reached_package_by_package_is_kept_with_its_packages(spark):
    py4j_lookups.install()
    jvm = spark.sparkContext._jvm
    a_list = jvm.java.util.ArrayList()
    type_util = jvm.py4j.reflection.TypeUtil  # how pyspark checks a Java exception's class
    assert type_util.isInstanceOf("java.util.List", a_list) is True
    with commands_sent(spark) as sent:
        assert jvm.py4j.reflection.TypeUtil is type_util
        assert jvm.py4j.reflection.TypeUtil.isInstanceOf("java.util.Map", a_list) is False
    assert _lookups(sent) == []


def test_install_twice_keeps_one_layer():
    py4j_lookups.install()
    lookup = py4j_lookups.java_gateway.JVMView.__getattr__
    py4j_lookups.install()
    assert py4j_lookups.java_gateway.JVMView.__getattr__ is lookup
