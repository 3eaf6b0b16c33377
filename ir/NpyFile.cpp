//===- NpyFile.cpp ---===//
