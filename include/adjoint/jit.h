//===- jit.h - Adjoint's C++ API in one header ----------------------------===//
//
// Everything a program needs to build, load, differentiate, compile, run
// and train models from C++, as the package's adjoint::jit target installs
// it (docs/install.md):
//
//   #include <adjoint/jit.h>
//   adjoint::Graph g("mlp");
//   adjoint::Builder b(g);
//   ...
//   auto exe = adjoint::compile(g);
//   auto outputs = exe->run({{"x", input}});
//
// Each header below documents its part; docs/jit.md is the guide.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/Executable.h"          // compile(), Executable::run
#include "compiler/autodiff/Grad.h"       // gradientGraph, appendGradients
#include "compiler/onnx/OnnxImporter.h"   // importOnnx, registerOnnxLoader
#include "compiler/training/Checkpoint.h" // a training run on disk
#include "compiler/training/Dataset.h"    // Fashion-MNIST and .npy data
#include "compiler/training/LrSchedule.h" // learning-rate schedules
#include "compiler/training/Optimizer.h"  // optimizer updates as graph nodes
#include "compiler/training/Trainer.h"    // the compiled training step
#include "ir/Builder.h"                   // Graph, Builder, initializers
#include "ir/Error.h"                     // BadInput, the one error type
#include "ir/Interpreter.h"               // the reference interpreter
#include "ir/Layers.h"                    // layer norm, attention, dropout
#include "ir/Losses.h"                    // cross-entropy, mse, accuracy
#include "ir/ModelIO.h"                   // loadModel, saveModel
#include "ir/NpyFile.h"                   // readNpy, writeNpy
#include "ir/Recurrent.h"                 // simpleRnn, lstm, gru
#include "ir/TextFormat.h"                // the textual IR
