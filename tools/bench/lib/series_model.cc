#include "bench/lib/series_model.h"

#include <algorithm>
#include <cmath>

namespace strata::bench {

bool IsCounter(Model m) {
  return m == Model::kCpuSeconds || m == Model::kIntCounter || m == Model::kIoSeconds;
}

double RoundTo(double v, double step) { return std::round(v / step) * step; }

double InitialValue(Model model, double base, double rate, bool after_reboot, Rng* rng) {
  const double scale = after_reboot ? 60 * rate : base;  // After a reboot: ~a minute's worth.
  switch (model) {
    case Model::kCpuSeconds:
      return RoundTo(scale * (0.5 + rng->Uniform()), 0.01);
    case Model::kIntCounter:
    case Model::kIoSeconds:
      return std::floor(scale * rng->Uniform());
    case Model::kMemBytes:
    case Model::kFsBytes:
      return RoundTo(base * (0.5 + rng->Uniform()), 4096);
    case Model::kConstant:
      return base == 1 ? 1 : RoundTo(base * (0.5 + rng->Uniform()), 4096);
    case Model::kLoad:
      return RoundTo(base * 2 * rng->Uniform(), 0.01);
    case Model::kSmallInt:
      return std::floor(base * (0.5 + rng->Uniform()));
    case Model::kTemperature:
      return RoundTo(base + 5 * rng->Uniform(), rate);
    case Model::kOffsetSeconds:
      return rate * (rng->Uniform() - 0.5);
    case Model::kInfo:
    case Model::kUp:
      return 1;
    case Model::kBootTime:
    case Model::kHistogram:
      break;
  }
  return 0;
}

double NextValue(Model model, double value, double rate, Rng* rng) {
  constexpr double kInterval = 15;
  const double u = rng->Uniform();
  switch (model) {
    case Model::kCpuSeconds:
      return RoundTo(value + kInterval * rate * (0.5 + u), 0.01);
    case Model::kIntCounter:
      return value + std::floor(kInterval * rate * 2 * u);
    case Model::kIoSeconds:
      return RoundTo(value + kInterval * rate * 2 * u, 0.001);
    case Model::kMemBytes:
      return std::max(0.0, value + rate * std::floor((u - 0.5) * 2000));
    case Model::kFsBytes:
      return u < 0.2 ? std::max(0.0, value + rate * std::floor((u - 0.1) * 500)) : value;
    case Model::kLoad:
      return std::max(0.0, RoundTo(value + rate * (u - 0.5) * 2, 0.01));
    case Model::kSmallInt:
      return std::max(0.0, value + std::round(rate * (u - 0.5) * 2));
    case Model::kTemperature:
      return u < 0.3 ? value + (u < 0.15 ? -rate : rate) : value;
    case Model::kOffsetSeconds:
      return rate * (u - 0.5);
    case Model::kConstant:
    case Model::kBootTime:
    case Model::kInfo:
    case Model::kUp:
    case Model::kHistogram:
      break;
  }
  return value;
}

}  // namespace strata::bench
