/* The names of the files a run writes into output.dir, and a sweep into its
 * folder: the one place they are spelled. Macros, not variables, so a
 * message or help text can join them at compile time
 * ("before writing " OUTPUT_FILE_THETA) and a static table can list them.
 * A file's format and contents are described where it is written. */
#ifndef NTK_OUTPUT_FILE_NAMES_H
#define NTK_OUTPUT_FILE_NAMES_H

/* One run (output/, pipeline/, predict/, train/). */
#define OUTPUT_FILE_SUMMARY "summary.yaml"
#define OUTPUT_FILE_THETA "theta.npy"
#define OUTPUT_FILE_NNGP "nngp.npy"
#define OUTPUT_FILE_EIGENVALUES "eigenvalues.npy"
#define OUTPUT_FILE_EIGENVECTORS "eigenvectors.npy"
#define OUTPUT_FILE_MODES "modes.csv"
#define OUTPUT_FILE_SPECTRUM_SVG "spectrum.svg"
#define OUTPUT_FILE_TRAINING "training.csv"
#define OUTPUT_FILE_PARAMS "params.safetensors"
#define OUTPUT_FILE_TEST_THETA "test_theta.npy"
#define OUTPUT_FILE_TEST_NNGP "test_nngp.npy"
#define OUTPUT_FILE_TEST_PREDICTIONS "test_predictions.npy"
#define OUTPUT_FILE_PREDICT_CSV "predict.csv"
#define OUTPUT_FILE_PREDICT_SVG "predict.svg"
#define OUTPUT_FILE_CG_CSV "cg.csv"
#define OUTPUT_FILE_CG_SVG "cg.svg"
#define OUTPUT_FILE_CG_CHECKPOINT "cg.ckpt"
#define OUTPUT_FILE_TEST_MEAN "test_mean.npy"
#define OUTPUT_FILE_TEST_VARIANCE "test_variance.npy"

/* A sweep (sweep/): the table of all points in output.dir, and each point's
 * row in its own folder (its job, the point's identity, is SWEEP_IDENTITY_NAME
 * in sweep/identity.h; the unfinished-run marker is RUN_MARKER_NAME in
 * pipeline/run_files.h; the checkpoint files are named in checkpoint/). */
#define OUTPUT_FILE_SWEEP "sweep.csv"
#define OUTPUT_FILE_SWEEP_POINT "point.csv"

#endif
