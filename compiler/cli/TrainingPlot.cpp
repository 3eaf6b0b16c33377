//===- TrainingPlot.cpp - Loss and accuracy curves as SVG -----------------===//
#include "compiler/cli/TrainingPlot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace adjoint::cli {

namespace {

constexpr double kPanelW = 420, kPanelH = 300, kMargin = 50;

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

std::string escape(const std::string &s) {
  std::string out;
  for (char c : s)
    out += c == '<'   ? "&lt;"
           : c == '>' ? "&gt;"
           : c == '&' ? "&amp;"
                      : std::string(1, c);
  return out;
}

/// One panel at horizontal offset `x0`: axes, ticks and the given series.
struct Series {
  std::vector<double> x, y;
  std::string color, label;
  bool dots;
};

std::string panel(double x0, const std::string &title, double yMin, double yMax,
                  double xMax, const std::vector<Series> &series) {
  if (!(yMax > yMin))
    yMax = yMin + 1;
  if (!(xMax > 0))
    xMax = 1;
  auto px = [&](double x) {
    return x0 + kMargin + x / xMax * (kPanelW - 2 * kMargin);
  };
  auto py = [&](double y) {
    return kMargin + (1 - (y - yMin) / (yMax - yMin)) * (kPanelH - 2 * kMargin);
  };
  std::string s;
  s += "<text x='" + num(x0 + kPanelW / 2) +
       "' y='24' text-anchor='middle' "
       "font-size='15'>" +
       escape(title) + "</text>\n";
  s += "<rect x='" + num(px(0)) + "' y='" + num(py(yMax)) + "' width='" +
       num(kPanelW - 2 * kMargin) + "' height='" + num(kPanelH - 2 * kMargin) +
       "' fill='none' stroke='#444'/>\n";
  for (int i = 0; i <= 4; ++i) {
    double y = yMin + (yMax - yMin) * i / 4;
    s += "<text x='" + num(px(0) - 6) + "' y='" + num(py(y) + 4) +
         "' text-anchor='end' font-size='11'>" + num(y) + "</text>\n";
    double x = xMax * i / 4;
    s += "<text x='" + num(px(x)) + "' y='" + num(py(yMin) + 16) +
         "' text-anchor='middle' font-size='11'>" + num(x) + "</text>\n";
  }
  s += "<text x='" + num(x0 + kPanelW / 2) + "' y='" + num(kPanelH - 8) +
       "' text-anchor='middle' font-size='12'>epoch</text>\n";
  int legend = 0;
  for (const Series &ser : series) {
    if (ser.y.empty())
      continue;
    if (ser.dots) {
      for (size_t i = 0; i < ser.y.size(); ++i)
        s += "<circle cx='" + num(px(ser.x[i])) + "' cy='" + num(py(ser.y[i])) +
             "' r='3.5' fill='" + ser.color + "'/>\n";
    }
    s += "<polyline fill='none' stroke='" + ser.color +
         "' stroke-width='1.5' points='";
    for (size_t i = 0; i < ser.y.size(); ++i)
      s += num(px(ser.x[i])) + "," + num(py(ser.y[i])) + " ";
    s += "'/>\n";
    double ly = kMargin + 14 + 16 * legend++;
    s += "<text x='" + num(px(xMax) - 6) + "' y='" + num(ly) +
         "' text-anchor='end' font-size='12' fill='" + ser.color + "'>" +
         escape(ser.label) + "</text>\n";
  }
  return s;
}

std::vector<double> epochs(size_t n) {
  std::vector<double> x;
  for (size_t i = 1; i <= n; ++i)
    x.push_back((double)i);
  return x;
}

} // namespace

std::string plotTraining(const TrainingHistory &h, const std::string &title) {
  double xMax = std::max(h.stepAt.empty() ? 0.0 : h.stepAt.back(),
                         (double)h.testLoss.size());
  double lossMax = 0, lossMin = INFINITY;
  for (const auto *v : {&h.stepLoss, &h.testLoss})
    for (double x : *v)
      if (std::isfinite(x)) {
        lossMax = std::max(lossMax, x);
        lossMin = std::min(lossMin, x);
      }
  if (!std::isfinite(lossMin))
    lossMin = 0;
  std::string svg = "<svg xmlns='http://www.w3.org/2000/svg' width='" +
                    num(2 * kPanelW) + "' height='" + num(kPanelH + 10) +
                    "' font-family='sans-serif'>\n"
                    "<rect width='100%' height='100%' fill='white'/>\n"
                    "<title>" +
                    escape(title) + "</title>\n";
  svg +=
      panel(0, title + ": loss", std::min(0.0, lossMin), lossMax, xMax,
            {{h.stepAt, h.stepLoss, "#1f77b4", "train (per step)", false},
             {epochs(h.testLoss.size()), h.testLoss, "#d62728", "test", true}});
  std::vector<double> pctTest, pctTrain;
  for (double a : h.testAccuracy)
    pctTest.push_back(100 * a);
  for (double a : h.trainAccuracy)
    pctTrain.push_back(100 * a);
  double accMin = 100;
  for (const auto *v : {&pctTest, &pctTrain})
    for (double a : *v)
      accMin = std::min(accMin, a);
  accMin = std::floor(std::max(0.0, accMin - 5) / 5) * 5;
  svg += panel(kPanelW, title + ": accuracy (%)", accMin, 100, xMax,
               {{epochs(pctTrain.size()), pctTrain, "#1f77b4", "train", true},
                {epochs(pctTest.size()), pctTest, "#d62728", "test", true}});
  svg += "</svg>\n";
  return svg;
}

} // namespace adjoint::cli
