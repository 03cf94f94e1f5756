// DType names and promotion.
#include "core/dtype.h"

#include <string>

#include "core/legacy_type_name.h"

namespace ember {

std::string_view dtype_name(DType dt) {
  switch (dt) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::Int64: return "int64";
    case DType::UInt8: return "uint8";
    case DType::Bool: return "bool";
    case DType::BFloat16: return "bfloat16";
    case DType::Float16: return "float16";
  }
  return "unknown";
}

std::string_view dtype_torch_name(DType dt) {
  switch (dt) {
    case DType::Float32: return "Float";
    case DType::Float64: return "Double";
    case DType::Int64: return "Long";
    case DType::UInt8: return "Byte";
    case DType::Bool: return "Bool";
    case DType::BFloat16: return "BFloat16";
    case DType::Float16: return "Half";
  }
  return "Unknown";
}

std::string legacy_type_name(DType dtype, bool is_cuda) {
  return std::string(is_cuda ? "torch.cuda." : "torch.") + std::string(dtype_torch_name(dtype)) + "Tensor";
}

std::ostream& operator<<(std::ostream& os, DType dt) { return os << dtype_name(dt); }

namespace {
int rank(DType dt) {
  switch (dt) {
    case DType::Bool: return 0;
    case DType::UInt8: return 1;
    case DType::Int64: return 2;
    case DType::BFloat16: return 3;
    case DType::Float16: return 3;
    case DType::Float32: return 4;
    case DType::Float64: return 5;
  }
  return 0;
}
}  // namespace

DType promote_types(DType a, DType b) {
  if (is_reduced_float(a) && is_reduced_float(b) && a != b) return kFloat32;  // neither holds the other
  return rank(a) >= rank(b) ? a : b;
}

}  // namespace ember
