/* Model parameters from and to safetensors files (torch.nn.Linear layout).
 *
 * Loading: a layer written with `name: P` takes the tensors P.weight and
 * P.bias; the other layers with parameters take the other weight/bias pairs
 * in order: by the numeric prefix of the tensor names when those are
 * distinct (nn.Sequential state_dicts such as 0.weight, 0.bias, 2.weight,
 * 2.bias load as they are; a prefix's number is its last all-digit dotted
 * component, "net.2" -> 2, else the trailing digits of its last component,
 * "fc1" -> 1), otherwise in the file's own tensor order (a plain state_dict
 * such as the tutorial CNN's conv1.*, conv2.*, fc1.*, ...). `*.num_batches_tracked`
 * is ignored. F32 or F64. Missing, extra or mis-shaped tensors are
 * NTK_ERR_DATA naming the file, the tensor and the layer.
 *
 * The file holds the raw parameters W_l, b_l; the scales c_l, s_l stay those
 * of the job's parameterisation. So a PyTorch state_dict means
 * `parameterization: standard` (c = s = 1, f = W h + b exactly as
 * torch.nn.Linear); with `ntk` the loaded values are the N(0,1) variables
 * and are multiplied by w_std/sqrt(n_{l-1}) and b_std. */
#ifndef NTK_MODEL_WEIGHTS_H
#define NTK_MODEL_WEIGHTS_H

#include "core/status.h"
#include "model/model.h"

/* Fill model->weight/bias (allocated by the caller per the tensor shapes and
 * has_bias, which this sets from the file) from `path`. With b_std != 0
 * (model.b_std: the job has biases) every layer's bias must be in the file.
 * Rank-local. */
ntk_status model_load_weights(const char *path, double b_std, ntk_model *model);

/* The number of parameters of the model `layout` describes, counted as a run
 * counts them: with model.weights, the file decides which layers have a bias
 * (its index is read and checked against the layers exactly as
 * model_load_weights checks it, values not read); without, every layer has
 * one when model.b_std != 0. `plan` and `run`'s preflight both use it.
 * Rank-local. */
ntk_status model_param_count(const ntk_model_spec *spec, const model_layout *layout,
                             int64_t *n_params);

/* Write the parameters as F64 tensors named "<i>.weight" / "<i>.bias" with i
 * the layer's position in model.layers (nn.Sequential's numbering, which
 * counts the activation modules: 0, 2, 4 for dense layers between
 * activations), or "<name>.weight" / "<name>.bias" for a layer written with
 * `name:`. Rank-local; written to a temporary name and renamed. */
ntk_status model_save_weights(const char *path, const ntk_model *model);

#endif
