// The configuration layers that JVB carries inside its jars, as HOCON text compiled into the
// bridge: the reference defaults (JVB, jitsi-media-transform and ice4j), and JVB's own application
// overrides of some ice4j defaults. Values match JVB's reference.conf and application.conf.
#pragma once

#include <string_view>

namespace jvb::config {

// Lowest priority: every key JVB defines, with its default.
extern const std::string_view kReferenceDefaults;
// The HTTP servers' defaults that JVB takes from jicoco rather than a reference file.
extern const std::string_view kJicocoDefaults;
// Above the JVM system properties, below jvb.conf (JVB's bundled application.conf).
extern const std::string_view kApplicationOverrides;

}  // namespace jvb::config
