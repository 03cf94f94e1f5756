// `ember train --inject-mistake NAME`: one mistake of the two switches made on purpose
// on the small CNN, to show the diagnostic it triggers (nn/diagnostics.h).
#pragma once
#include <string>
#include <vector>

#include "core/device.h"

namespace ember::tools {

// The diagnostics' names, one demo each.
std::vector<std::string> mistake_names();
// Runs the demo on `device`; 0 when the diagnostic fired (its message was logged or thrown
// and caught).
int run_mistake_demo(const std::string& name, Device device);

}  // namespace ember::tools
