// Runtime checks on a real device: host<->device copies (pageable and pinned-staged,
// contiguous or not), the caching allocator (reuse, split, per-stream reuse,
// record_stream, OOM under a limit, statistics), streams and events.
#include <cstring>
#include <sstream>

#include "core/allocator/private_pool.h"
#include "tools/kernel_checks/kernel_checks.h"

namespace ember::kernel_checks {

namespace {

const Device kGpu = Device::cuda(0);

// A check from a body that returns an empty string on success, or what went wrong.
Check simple(std::string op, std::string shape, std::function<std::string()> body) {
  return Check{std::move(op), std::move(shape), 0.0, [body = std::move(body)]() {
                 CheckResult r;
                 r.detail = body();
                 r.passed = r.detail.empty();
                 return r;
               }};
}

// Host -> device -> host keeps every value (exactly), for any dtype and layout.
Check round_trip(std::string name, Tensor host) {
  std::ostringstream shape;
  shape << host.sizes();
  return Check{std::move(name), shape.str(), 0.0, [host]() {
                 CheckResult r;
                 r.passed = true;
                 const Tensor on_gpu = host.to(kGpu);
                 if (!on_gpu.is_cuda()) {
                   r.passed = false;
                   r.detail = "to(cuda) gave a tensor on " + on_gpu.device().str();
                   return r;
                 }
                 compare("round trip", on_gpu.to(Device::cpu()), host.contiguous(), 0.0, 0.0, r);
                 return r;
               }};
}

}  // namespace

void add_runtime_checks(std::vector<Check>& checks) {
  checks.push_back(round_trip("copy host<->device", randn({1000})));
  checks.push_back(round_trip("copy host<->device (pinned staging)", randn({512, 1024})));
  checks.push_back(round_trip("copy host<->device int64", arange(0, 70000, 1, TensorOptions(kInt64))));
  checks.push_back(round_trip("copy host<->device non-contiguous", randn({64, 48}).transpose(0, 1)));
  checks.push_back(round_trip("copy host<->device bool", randn({333}) > 0.0));

  checks.push_back(simple("copy_ across devices", "[256, 256]", [] {
    Tensor src = randn({256, 256});
    Tensor dst = zeros({256, 256}, TensorOptions().device(kGpu));
    dst.copy_(src);
    Tensor back = zeros({256, 256});
    back.copy_(dst);
    return back.to_vector<float>() == src.to_vector<float>() ? "" : "values changed";
  }));

  checks.push_back(simple("allocator reuse", "1 MiB", [] {
    memory::empty_cache(kGpu);
    void* first = nullptr;
    {
      Tensor t = empty({1 << 18}, TensorOptions().device(kGpu));
      first = t.data_ptr();
    }
    const int64_t reserved = memory::reserved(kGpu);
    Tensor again = empty({1 << 18}, TensorOptions().device(kGpu));
    if (again.data_ptr() != first) return std::string("a freed block of the same size was not reused");
    if (memory::reserved(kGpu) != reserved) return std::string("reuse reserved new memory");
    return std::string();
  }));

  checks.push_back(simple("allocator split + statistics", "3 x 4 KiB", [] {
    memory::empty_cache(kGpu);
    const auto before = memory::stats(kGpu);
    // A pool of its own: blocks other checks left alive must not serve these.
    auto pool = std::make_shared<memory::PrivatePool>(kGpu);
    memory::PrivatePoolScope scope(pool);
    Tensor a = empty({1024}, TensorOptions().device(kGpu));
    Tensor b = empty({1024}, TensorOptions().device(kGpu));
    const auto during = memory::stats(kGpu);
    if (during.allocated_bytes.current - before.allocated_bytes.current != 8192) return std::string("allocated bytes off");
    if (during.segment.current - before.segment.current > 1) return std::string("two small blocks took two segments");
    if (static_cast<char*>(b.data_ptr()) - static_cast<char*>(a.data_ptr()) != 4096)
      return std::string("the second block is not the split remainder of the first");
    return std::string();
  }));

  checks.push_back(simple("allocator per-stream reuse", "1 MiB", [] {
    memory::empty_cache(kGpu);
    const cuda::Stream side = cuda::Stream::create(0);
    void* on_side = nullptr;
    {
      cuda::StreamGuard guard(side);
      Tensor t = empty({1 << 18}, TensorOptions().device(kGpu));
      on_side = t.data_ptr();
    }
    Tensor on_default = empty({1 << 18}, TensorOptions().device(kGpu));
    if (on_default.data_ptr() == on_side) return std::string("a block of another stream was reused");
    cuda::StreamGuard guard(side);
    Tensor again = empty({1 << 18}, TensorOptions().device(kGpu));
    if (again.data_ptr() != on_side) return std::string("the stream's own block was not reused");
    return std::string();
  }));

  checks.push_back(simple("record_stream", "1 MiB", [] {
    memory::empty_cache(kGpu);
    const cuda::Stream side = cuda::Stream::create(0);
    void* ptr = nullptr;
    {
      Tensor t = ones({1 << 18}, TensorOptions().device(kGpu));
      ptr = t.data_ptr();
      {
        cuda::StreamGuard guard(side);
        Tensor use = t * 2.0;  // queued on the side stream
        (void)use;
      }
      t.record_stream(side);
    }
    side.synchronize();
    Tensor again = empty({1 << 18}, TensorOptions().device(kGpu));
    return again.data_ptr() == ptr ? "" : "the block was not reused after the other stream's work completed";
  }));

  checks.push_back(simple("out of memory under a limit", "64 MiB", [] {
    memory::empty_cache(kGpu);
    memory::set_limit(kGpu, memory::reserved(kGpu) + (4 << 20));
    std::string problem = "no OutOfMemoryError";
    try {
      Tensor t = empty({16 << 20}, TensorOptions().device(kGpu));
    } catch (const OutOfMemoryError& e) {
      problem = std::strstr(e.what(), "CUDA out of memory. Tried to allocate 64.00 MiB") ? "" : e.what();
    }
    memory::set_limit(kGpu, 0);
    return problem;
  }));

  checks.push_back(simple("streams and events", "[1024, 1024]", [] {
    const cuda::Stream side = cuda::Stream::create(0);
    cuda::Event start, stop;
    Tensor x = randn({1024, 1024}).to(kGpu);
    cuda::Event copied(false);  // the side stream does not wait for the copy by itself
    copied.record(cuda::current_stream());
    side.wait(copied);
    Tensor y;
    {
      cuda::StreamGuard guard(side);
      start.record(side);
      y = matmul(x, x);
      stop.record(side);
    }
    stop.synchronize();
    if (!side.query()) return std::string("the stream is busy after its last event completed");
    if (start.elapsed_ms(stop) < 0.0f) return std::string("negative elapsed time");
    Tensor ref = matmul(x.to(Device::cpu()), x.to(Device::cpu()));
    CheckResult r;
    r.passed = true;
    compare("matmul on a side stream", y, ref, 1e-3, 1e-4, r);
    return r.detail;
  }));

  checks.push_back(simple("autograd across devices", "[8, 8]", [] {
    Tensor x = randn({8, 8}).requires_grad_(true);
    Tensor loss = (x.to(kGpu) * 3.0).sum();
    loss.backward();
    if (!x.grad().defined() || !x.grad().is_cpu()) return std::string("the gradient of a CPU leaf is not on the CPU");
    for (float g : x.grad().to_vector<float>())
      if (g != 3.0f) return std::string("wrong gradient");
    return std::string();
  }));
}

}  // namespace ember::kernel_checks
