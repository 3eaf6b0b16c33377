//===- ModelIO.cpp ---===//
