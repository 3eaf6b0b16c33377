//===- TextFormat.cpp ---===//
