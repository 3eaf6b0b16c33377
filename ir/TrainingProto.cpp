//===- TrainingProto.cpp - Training specs in the wire format --------------===//
#include "ir/Error.h"
#include "ir/ProtoConvert.h"
#include "proto/adjoint.pb.h"

namespace adjoint {

namespace {

using PK = proto::Optimizer::Kind;

constexpr std::pair<OptimizerKind, PK> kKinds[] = {
    {OptimizerKind::Sgd, proto::Optimizer::SGD},
    {OptimizerKind::Momentum, proto::Optimizer::MOMENTUM},
    {OptimizerKind::Adam, proto::Optimizer::ADAM},
    {OptimizerKind::AdamW, proto::Optimizer::ADAMW},
};

void toProtoOptimizer(const OptimizerConfig &c, proto::Optimizer *out) {
  for (auto &[kind, protoKind] : kKinds)
    if (kind == c.kind)
      out->set_kind(protoKind);
  if (c.lr)
    out->set_lr(*c.lr);
  if (c.momentum)
    out->set_momentum(*c.momentum);
  if (c.nesterov)
    out->set_nesterov(*c.nesterov);
  if (c.beta1)
    out->set_beta1(*c.beta1);
  if (c.beta2)
    out->set_beta2(*c.beta2);
  if (c.epsilon)
    out->set_epsilon(*c.epsilon);
  if (c.weightDecay)
    out->set_weight_decay(*c.weightDecay);
}

OptimizerConfig fromProtoOptimizer(const proto::Optimizer &p) {
  OptimizerConfig c;
  bool known = false;
  for (auto &[kind, protoKind] : kKinds)
    if ((int)protoKind == (int)p.kind()) {
      c.kind = kind;
      known = true;
    }
  if (!known)
    badInput(p.kind() == proto::Optimizer::KIND_UNSPECIFIED
                 ? std::string("the optimizer's kind is unspecified")
                 : strCat("unknown optimizer kind ", (int)p.kind()));
  if (p.has_lr())
    c.lr = p.lr();
  if (p.has_momentum())
    c.momentum = p.momentum();
  if (p.has_nesterov())
    c.nesterov = p.nesterov();
  if (p.has_beta1())
    c.beta1 = p.beta1();
  if (p.has_beta2())
    c.beta2 = p.beta2();
  if (p.has_epsilon())
    c.epsilon = p.epsilon();
  if (p.has_weight_decay())
    c.weightDecay = p.weight_decay();
  return c;
}

} // namespace

void toProtoTraining(const TrainingSpec &spec, proto::TrainingSpec *out) {
  out->set_loss(spec.loss);
  if (spec.optimizer)
    toProtoOptimizer(*spec.optimizer, out->mutable_optimizer());
  out->set_batch_size(spec.batchSize);
  out->set_epochs(spec.epochs);
  out->set_features(spec.features);
  out->set_labels(spec.labels);
  out->set_predictions(spec.predictions);
  for (const StateUpdate &u : spec.stateUpdates) {
    proto::StateUpdate *p = out->add_state_updates();
    p->set_param(u.param);
    p->set_output(u.output);
  }
}

TrainingSpec fromProtoTraining(const proto::TrainingSpec &p) {
  TrainingSpec spec;
  spec.loss = p.loss();
  if (p.has_optimizer())
    spec.optimizer = withContext(
        "training", [&] { return fromProtoOptimizer(p.optimizer()); });
  spec.batchSize = p.batch_size();
  spec.epochs = p.epochs();
  spec.features = p.features();
  spec.labels = p.labels();
  spec.predictions = p.predictions();
  for (const proto::StateUpdate &u : p.state_updates())
    spec.stateUpdates.push_back({u.param(), u.output()});
  return spec;
}

} // namespace adjoint
