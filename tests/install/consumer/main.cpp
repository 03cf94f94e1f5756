// Uses the installed umbrella header and library: prints 10 (1+2+3+4) on success.
#include <ember/ember.h>

#include <iostream>

int main() {
  auto t = ember::tensor(std::vector<float>{1, 2, 3, 4}, {2, 2});
  std::cout << (t.sum().item<float>() == 10.0f ? "ok" : "wrong") << " " << t.sum().item<float>() << "\n";
  return t.sum().item<float>() == 10.0f ? 0 : 1;
}
