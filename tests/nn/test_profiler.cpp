// The profiler (core/profiler.h) and its Chrome trace export: a forward, backward and
// SGD step of a small net with named children, exported and parsed back; module paths,
// backward nodes, marks, counters that end at the allocator's and the ledger's values,
// the ring bound, --trace-steps' stop, and nothing recorded when off.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "autograd/custom_function.h"
#include "autograd/saved_variable.h"
#include "core/factories.h"
#include "core/memory.h"
#include "core/profiler.h"
#include "nn/conv.h"
#include "nn/functional/loss.h"
#include "nn/layers.h"
#include "nn/optim/sgd.h"
#include "nn/serialize/chrome_trace.h"
#include "nn/serialize/json.h"
#include "support/temp_dir.h"

namespace ember {
namespace {

// "features" (conv, batch norm, relu) then "classifier": paths like "features.0".
class Net : public nn::Module {
 public:
  Net() : Module("Net") {
    features_ = register_module("features", std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
                                                std::make_shared<nn::Conv2d>(1, 4, 3, nn::Conv2dOptions{.padding = 1}),
                                                std::make_shared<nn::BatchNorm2d>(4), std::make_shared<nn::ReLU>(),
                                                std::make_shared<nn::Flatten>()}));
    classifier_ = register_module("classifier", std::make_shared<nn::Linear>(4 * 6 * 6, 3));
  }
  Tensor forward(const Tensor& x) override {
    return call_child("classifier", *classifier_, call_child("features", *features_, x));
  }

 private:
  std::shared_ptr<nn::Module> features_, classifier_;
};

struct Step {
  std::shared_ptr<Net> net = std::make_shared<Net>();
  optim::SGD sgd{net->parameters(), {.lr = 0.1}};
  Tensor x = randn({8, 1, 6, 6});
  Tensor y = tensor(std::vector<int64_t>{0, 1, 2, 0, 1, 2, 0, 1}, {8});
  Tensor forward() { return nn::functional::cross_entropy((*net)(x), y); }
  void run() {
    sgd.zero_grad();
    forward().backward();
    sgd.step();
  }
};

using nn::json::Json;

Json read_json(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return nn::json::parse(ss.str()).root;
}

double number(const Json& v, const char* key) {
  const auto f = v.find(key);
  const bool ok = f != v.end() && f->is_number();
  EXPECT_TRUE(ok) << key;
  return ok ? f->get<double>() : 0;
}

std::string string_of(const Json& v, const char* key) {
  const auto f = v.find(key);
  return f != v.end() && f->is_string() ? f->get<std::string>() : "";
}

TEST(Profiler, TraceOfAStepHasModulePathsBackwardNodesMarksAndCounters) {
  Step step;
  step.run();  // momentum buffers etc. exist before recording
  testing::TempDir dir;
  profiler::start();
  step.run();
  profiler::stop();
  const int64_t allocated_at_stop = memory::stats(Device::cpu()).allocated_bytes.current;
  const int64_t saved_at_stop = autograd::saved_tensor_stats().current_bytes;
  profiler::export_chrome_trace(dir.file("trace.json"));

  const Json doc = read_json(dir.file("trace.json"));
  ASSERT_TRUE(doc.is_object());
  ASSERT_TRUE(doc.contains("traceEvents") && doc["traceEvents"].is_array());
  const Json* list = &doc["traceEvents"];
  std::set<std::string> spans, marks;
  std::string backward_conv_module;
  double last_allocated = -1, last_saved = -1, last_ts = 0;
  size_t counters = 0;
  for (const Json& e : *list) {
    ASSERT_TRUE(e.is_object());
    const std::string ph = string_of(e, "ph"), name = string_of(e, "name");
    ASSERT_TRUE(ph == "X" || ph == "i" || ph == "C" || ph == "M") << ph;
    EXPECT_FALSE(name.empty());
    EXPECT_EQ(number(e, "pid"), 1);
    if (ph == "M") continue;
    const double ts = number(e, "ts");
    EXPECT_GE(ts, 0);
    last_ts = std::max(last_ts, ts);
    if (ph == "X") {
      EXPECT_GE(number(e, "dur"), 0);
      spans.insert(name);
      if (name == "ConvolutionBackward") backward_conv_module = string_of(e.at("args"), "module");
    } else if (ph == "i") {
      marks.insert(name);
    } else {
      ++counters;
      const double bytes = number(e.at("args"), "bytes");
      if (name == "cpu allocated") last_allocated = bytes;
      if (name == "saved activations") last_saved = bytes;
    }
  }
  for (const char* s : {"Net", "features Sequential", "features.0 Conv2d", "features.1 BatchNorm2d",
                        "features.2 ReLU", "classifier Linear", "conv2d", "cross_entropy", "ConvolutionBackward",
                        "SGD.step"})
    EXPECT_TRUE(spans.count(s)) << "no span named " << s;
  EXPECT_EQ(backward_conv_module, "features.0");  // the node knows its module
  EXPECT_EQ(marks, (std::set<std::string>{"backward start", "backward end", "SGD.step"}));
  EXPECT_GT(counters, 10u);
  EXPECT_EQ(last_allocated, static_cast<double>(allocated_at_stop));
  EXPECT_EQ(last_saved, static_cast<double>(saved_at_stop));
  EXPECT_GT(last_ts, 0);
}

TEST(Profiler, SavedActivationCounterFollowsTheLedger) {
  Step step;
  profiler::start();
  Tensor loss = step.forward();
  profiler::stop();
  const int64_t saved = autograd::saved_tensor_stats().current_bytes;
  ASSERT_GT(saved, 0);
  int64_t last = -1, highest = 0;
  for (const profiler::Event& e : profiler::events()) {
    if (e.type != profiler::EventType::Counter || e.counter != profiler::CounterKind::SavedActivations) continue;
    last = e.value;
    highest = std::max(highest, e.value);
  }
  EXPECT_EQ(last, saved);
  EXPECT_EQ(highest, saved);  // a forward only adds
  loss.backward();            // after stop(): nothing more is recorded
  int64_t after = -1;
  for (const profiler::Event& e : profiler::events())
    if (e.type == profiler::EventType::Counter && e.counter == profiler::CounterKind::SavedActivations) after = e.value;
  EXPECT_EQ(after, saved);
}

TEST(Profiler, RingKeepsTheLastEventsOnly) {
  Step step;
  testing::TempDir dir;
  profiler::start({.max_events = 40});
  step.run();
  step.run();
  profiler::stop();
  const auto events = profiler::events();
  EXPECT_EQ(events.size(), 40u);
  EXPECT_GT(profiler::dropped_events(), 0u);
  for (size_t i = 1; i < events.size(); ++i) EXPECT_LT(events[i - 1].seq, events[i].seq);
  // The last events are kept: the final allocator samples taken by stop().
  EXPECT_EQ(events.back().type, profiler::EventType::Counter);
  profiler::export_chrome_trace(dir.file("small.json"));
  const Json doc = read_json(dir.file("small.json"));
  size_t kept = 0;
  for (const Json& e : doc.at("traceEvents")) kept += string_of(e, "ph") != "M";
  EXPECT_LE(kept, 40u);
  EXPECT_EQ(number(doc.at("otherData"), "dropped_events"), static_cast<double>(profiler::dropped_events()));
}

TEST(Profiler, MaxStepsStopsTheRecording) {
  Step step;
  profiler::start({.max_events = 1'000'000, .max_steps = 1});
  step.run();
  EXPECT_FALSE(profiler::is_enabled());
  step.run();
  EXPECT_EQ(profiler::steps(), 1);
  size_t step_marks = 0;
  for (const profiler::Event& e : profiler::events())
    step_marks += e.type == profiler::EventType::Instant && e.name == "SGD.step";
  EXPECT_EQ(step_marks, 1u);
}

TEST(Profiler, NothingIsRecordedWhenOff) {
  Step step;
  profiler::start();
  profiler::stop();
  const size_t before = profiler::events().size();
  step.run();
  EXPECT_FALSE(profiler::is_enabled());
  EXPECT_EQ(profiler::events().size(), before);
}

TEST(Profiler, BadUseAndBadPathsAreErrors) {
  profiler::start();
  EXPECT_THROW(profiler::start(), Error);
  profiler::stop();
  EXPECT_THROW(profiler::start({.max_events = 0}), Error);
  testing::TempDir dir;
  std::filesystem::create_directory(dir.file("sub"));
  EXPECT_THROW(profiler::export_chrome_trace(dir.file("sub")), Error);
  EXPECT_THROW(profiler::export_chrome_trace(dir.file("missing/trace.json")), Error);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);  // only "sub"
}

TEST(Profiler, ChromeTraceJsonQuotesNamesAndWritesMicroseconds) {
  profiler::Event span;
  span.type = profiler::EventType::Span;
  span.category = profiler::Category::Module;
  span.name = "a \"quoted\" name";
  span.start_ns = 1'234'567;
  span.duration_ns = 5;
  profiler::Event counter;
  counter.type = profiler::EventType::Counter;
  counter.category = profiler::Category::Memory;
  counter.counter = profiler::CounterKind::Reserved;
  counter.value = 1024;
  const std::string text = profiler::chrome_trace_json({span, counter}, 7);
  const Json doc = nn::json::parse(text).root;
  const Json& items = doc.at("traceEvents");
  ASSERT_EQ(items.size(), 4u);  // process name, thread name, span, counter
  EXPECT_EQ(string_of(items[2], "name"), "a \"quoted\" name");
  EXPECT_NE(text.find("\"ts\": 1234.567,"), std::string::npos) << text;  // microseconds, ns decimals
  EXPECT_NE(text.find("\"dur\": 0.005"), std::string::npos) << text;
  EXPECT_EQ(number(items[2], "ts"), 1234.567);
  EXPECT_EQ(string_of(items[3], "name"), "cpu reserved");
  EXPECT_EQ(number(items[3].at("args"), "bytes"), 1024);
  EXPECT_EQ(number(doc.at("otherData"), "dropped_events"), 7);
  // a name that is not UTF-8 loses its odd bytes, not the trace
  span.name = "bad\xff\xfe utf8";
  const Json replaced = nn::json::parse(profiler::chrome_trace_json({span}, 0)).root;
  EXPECT_EQ(string_of(replaced.at("traceEvents")[2], "name"), "bad\xef\xbf\xbd\xef\xbf\xbd utf8");
}

// A custom Function's forward is a span named after the class (PyTorch's RECORD_FUNCTION).
struct Twice : autograd::Function<Twice> {
  static Tensor forward(autograd::AutogradContext*, const Tensor& x) { return x * 2.0; }
  static autograd::tensor_list backward(autograd::AutogradContext*, autograd::tensor_list g) { return {g[0] * 2.0}; }
};

TEST(Profiler, CustomFunctionForwardIsASpan) {
  profiler::start();
  Twice::apply(ones({2}).requires_grad_()).sum().backward();
  profiler::stop();
  bool forward = false, backward = false;
  for (const profiler::Event& e : profiler::events()) {
    forward = forward || (e.name == "Twice" && e.category == profiler::Category::Op);
    backward = backward || e.name == "TwiceBackward";
  }
  EXPECT_TRUE(forward);
  EXPECT_TRUE(backward);
}

}  // namespace
}  // namespace ember
