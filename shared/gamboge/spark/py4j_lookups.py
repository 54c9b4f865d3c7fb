"""Names the driver resolves in the JVM through py4j, resolved once per JVM instead of on every call.

pyspark reaches the JVM by name. ``F.col("x")`` is ``jvm.functions.col("x")``: one round trip asks
the JVM what ``functions`` is (through pyspark's wildcard imports, so a failed class lookup in each
of the ~250 jars on the class path per import tried before ``org.apache.spark.sql``), a second what
``col`` is on that class, and only the third calls it. The first two answers never change, and
building one batch's plans makes thousands of such calls from several threads at once. Measured
on a cold `gamboge transform` at scale 1 (2 cores, 4 runs each, interleaved): 2,731 ``functions``
lookups cost the driver's py4j threads ~9 s between them; resolved once, the JVM used 15.6 s of
CPU instead of 18.0 s and the build ended in 11.3 s instead of 12.7 s.

Pyspark turning a Java exception into a Python one asks the same way, a dozen times per exception
(``jvm.py4j.reflection.TypeUtil``, a package at a time), and reading an Observation ends with one.

Only what does not change in a running JVM is kept: the class or package a name on the JVM view or
in a package resolves to, and the methods and nested classes of a class. A static field's value is
read from the JVM every time. (py4j calls any name it cannot load a package, so a class first
asked for before a jar holding it is added at run time would stay a package: the jobs here add none,
their jars are on the class path from the start.)
"""

from typing import Any, Tuple

from py4j import java_gateway

_INSTALLED = "_gamboge_lookups_kept"


def install() -> None:
    """Keep resolved names on the py4j objects that resolved them (idempotent)."""
    if getattr(java_gateway.JVMView, _INSTALLED, False):
        return
    _keep(java_gateway.JVMView, (java_gateway.JavaClass, java_gateway.JavaPackage))
    _keep(java_gateway.JavaPackage, (java_gateway.JavaClass, java_gateway.JavaPackage))
    _keep(java_gateway.JavaClass, (java_gateway.JavaMember, java_gateway.JavaClass))  # never a field's value
    setattr(java_gateway.JVMView, _INSTALLED, True)


def _keep(owner: type, kept: Tuple[type, ...]) -> None:
    """Wrap ``owner``'s name lookup so that a result of a ``kept`` type is stored on the instance:
    the next lookup of the name is an attribute read, not a round trip."""
    resolve = owner.__getattr__  # type: ignore[attr-defined]

    def resolve_once(instance: Any, name: str) -> Any:
        found = resolve(instance, name)
        if isinstance(found, kept):
            instance.__dict__[name] = found
        return found

    owner.__getattr__ = resolve_once  # type: ignore[attr-defined]
