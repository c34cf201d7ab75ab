// The backend of a build without CUDA: no device, and every run is refused.
#include "backend.hpp"
#include "einfuse/gpu_ref/device.hpp"

namespace einfuse::gpu_ref::backend {

Info info() {
  Info i;
  i.reason = "CUDA support was not built (no CUDA toolkit at configure time, or EINFUSE_WITH_CUDA=OFF)";
  return i;
}

std::vector<float> run(const Shape&, const Launch&, const HostData&) { throw NoDeviceError(info().reason); }

std::vector<double> time(const Shape&, const Launch&, const HostData&, std::size_t, std::size_t, int) {
  throw NoDeviceError(info().reason);
}

}  // namespace einfuse::gpu_ref::backend
