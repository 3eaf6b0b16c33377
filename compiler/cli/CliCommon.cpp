//===- CliCommon.cpp - Shared pieces of the `adjoint` subcommands ---------===//
#include "compiler/cli/CliCommon.h"

#include "compiler/training/Rebatch.h"
#include "ir/Error.h"
#include "ir/Specialize.h"

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>

namespace adjoint::cli {

namespace {

/// Formats `value` to three significant digits ("24.7", "512", "1.20").
std::string threeDigits(double value) {
  char buf[32];
  int decimals = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  std::string s = buf;
  // Trailing zeros after the point say nothing: "1.20" -> "1.2", "3.00" -> "3".
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0')
      s.pop_back();
    if (s.back() == '.')
      s.pop_back();
  }
  return s;
}

} // namespace

namespace {

CLI::Validator numberAtLeast(double least, bool strict, const char *what) {
  return CLI::Validator(
      [=](std::string &text) -> std::string {
        double v = 0;
        size_t used = 0;
        try {
          v = std::stod(text, &used);
        } catch (const std::exception &) {
          used = 0;
        }
        if (used != text.size() || used == 0 || std::isnan(v))
          return "must be " + std::string(what) + ", not '" + text + "'";
        if (strict ? v <= least : v < least)
          return "must be " + std::string(what) + ", not " + text;
        return "";
      },
      strict ? "> 0" : ">= 0");
}

} // namespace

CLI::Validator positiveNumber() {
  return numberAtLeast(0, true, "a positive number");
}

CLI::Validator nonNegativeNumber() {
  return numberAtLeast(0, false, "zero or more");
}

void checkEngine(const std::string &engine) {
  std::string accepted;
  for (const char *e : kEngines) {
    if (engine == e)
      return;
    accepted += (accepted.empty() ? "" : ", ") + std::string(e);
  }
  badInput("unknown engine '", engine, "' (accepted: ", accepted, ")");
}

std::string groupDigits(int64_t n) {
  uint64_t magnitude = n < 0 ? 0 - (uint64_t)n : (uint64_t)n;
  std::string digits = std::to_string(magnitude);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string metricCount(int64_t n) {
  static const char *const kSuffixes[] = {"K", "M", "G", "T", "P", "E"};
  double v = std::fabs((double)n);
  if (v < 1000)
    return std::to_string(n);
  int unit = -1;
  // Round first so that 999,950 reads "1 M", not "1000 K".
  while (unit < 5 && std::stod(threeDigits(v)) >= 1000) {
    v /= 1000;
    ++unit;
  }
  return (n < 0 ? "-" : "") + threeDigits(v) + " " + kSuffixes[unit];
}

std::string binarySize(int64_t bytes) {
  static const char *const kUnits[] = {"KiB", "MiB", "GiB",
                                       "TiB", "PiB", "EiB"};
  if (bytes < 1024)
    return std::to_string(bytes) + " B";
  double v = (double)bytes;
  int unit = -1;
  while (unit < 5 && std::stod(threeDigits(v)) >= 1024) {
    v /= 1024;
    ++unit;
  }
  return threeDigits(v) + " " + kUnits[unit];
}

Model atSpecBatch(Model m, const std::string &file) {
  if (!hasSymbols(m.graph) || !m.training || m.training->batchSize <= 0)
    return m;
  return withContext(file, [&] { return rebatch(m, m.training->batchSize); });
}

} // namespace adjoint::cli
