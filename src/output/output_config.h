/* The output section's configuration: where results go and which optional
 * files are written. Its keys are described in output/output_keys.c. */
#ifndef NTK_OUTPUT_OUTPUT_CONFIG_H
#define NTK_OUTPUT_OUTPUT_CONFIG_H

#include "core/location.h"
#include "core/config_keys.h"

typedef struct {
    char dir[NTK_PATH_MAX];  /* default "ntkgram-out" */
    int theta;               /* write theta.npy; default false */
    int eigenvectors;        /* write eigenvectors.npy; default true (needs spectrum.vectors) */
    int plot;                /* write spectrum.svg; default true */
    int params;              /* write params.safetensors; default false */
    int test_theta;          /* write test_theta.npy (needs data.test_inputs); default false */
    int theta_layers;        /* write theta_layer_<l>.npy (needs diagnostics.per_layer); default false */
} ntk_output_spec;

extern const ntk_config_section output_section;

#endif
