"""Names the driver resolves in the JVM through py4j, resolved once per JVM instead of on every call.

pyspark reaches the JVM by name. ``F.col("x")`` is ``jvm.functions.col("x")``: one round trip asks
the JVM what ``functions`` is (through pyspark's wildcard imports, so a failed class lookup in each
of the ~250 jars on the class path per import tried before ``org.apache.spark.sql``), a second what
``col`` is on that class, and only the third calls it. The first two answers never change, and
building one batch's plans makes thousands of such calls from several threads at once. Measured
on a cold `gamboge transform` at scale 1 (2 cores, 4 runs each, interleaved): 2,731 ``functions``
lookups cost the driver's py4j threads ~9 s between them; resolved once, the JVM used 15.6 s of
CPU instead of 18.0 s and the build ended in 11.3 s instead of 12.7 s.

Only what cannot change is kept: the class a name on the JVM view resolves to, and the methods and
nested classes of a class. A static field's value is read from the JVM every time, and a name
that does not resolve (or resolves to a package) is asked again.
"""

from py4j import java_gateway

_INSTALLED = "_gamboge_lookups_kept"


def install() -> None:
    """Keep resolved classes and members on the py4j objects that resolved them (idempotent)."""
    if getattr(java_gateway.JVMView, _INSTALLED, False):
        return
    resolve_name = java_gateway.JVMView.__getattr__
    resolve_member = java_gateway.JavaClass.__getattr__

    def name_on_view(view: java_gateway.JVMView, name: str):  # type: ignore[no-untyped-def]
        found = resolve_name(view, name)
        if isinstance(found, java_gateway.JavaClass):
            view.__dict__[name] = found  # the next lookup is an attribute read, not a round trip
        return found

    def member_of_class(cls: java_gateway.JavaClass, name: str):  # type: ignore[no-untyped-def]
        found = resolve_member(cls, name)
        if isinstance(found, (java_gateway.JavaMember, java_gateway.JavaClass)):  # never a field's value
            cls.__dict__[name] = found
        return found

    java_gateway.JVMView.__getattr__ = name_on_view  # type: ignore[method-assign]
    java_gateway.JavaClass.__getattr__ = member_of_class  # type: ignore[method-assign]
    setattr(java_gateway.JVMView, _INSTALLED, True)
