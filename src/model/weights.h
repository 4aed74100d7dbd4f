/* Model parameters from and to safetensors files (torch.nn.Linear layout).
 *
 * Loading: the i-th dense layer takes the i-th weight/bias pair, ordered by the
 * numeric prefix of the tensor names (nn.Sequential state_dicts such as
 * 0.weight, 0.bias, 2.weight, 2.bias load as they are). F32 or F64. Missing,
 * extra or mis-shaped tensors are NTK_ERR_DATA naming the file and tensor. */
#ifndef NTK_MODEL_WEIGHTS_H
#define NTK_MODEL_WEIGHTS_H

#include "core/status.h"
#include "model/model.h"

/* Fill model->weight/bias (allocated by the caller per model->width and
 * has_bias, which this sets from the file) from `path`. Rank-local. */
ntk_status model_load_weights(const char *path, ntk_model *model);

/* Write the parameters as F64 tensors named "<2i>.weight" / "<2i>.bias" (the
 * nn.Sequential numbering of Linear layers between activations). Rank-local;
 * written to a temporary name and renamed. */
ntk_status model_save_weights(const char *path, const ntk_model *model);

#endif
