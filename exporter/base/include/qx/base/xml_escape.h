// The one XML escaping function: what the client sends (search criteria)
// and what the simulator renders go through it.
#pragma once

#include <string>
#include <string_view>

namespace qx {

// Appends text escaped for XML element content and attribute values alike:
// & < > " become entities, tab/newline/carriage return character
// references (attribute values keep them), other C0 controls, which XML 1.0
// cannot carry, are dropped. Runs of plain characters are copied at once.
void AppendXmlEscaped(std::string& out, std::string_view text);

}  // namespace qx
