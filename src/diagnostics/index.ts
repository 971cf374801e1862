// lowp/diagnostics: will this tensor survive bf16/fp16/fp8? Cast analysis, format comparison, division
// risk, constants that vanish, accumulation risk, loss scaling, the versioned JSON report, and what pure
// bf16/fp16 would do to the next Adam/AdamW step of a training checkpoint (simulateAdamStep, training readiness).
export { analyzeCast, createCastAnalyzer } from './analyzeCast.js';
export type { CastAnalysis, CastAnalysisOptions, CastAnalyzer, CastCounts, CastErrorStats, CastOptionsUsed, CastRange } from './analyzeCast.js';
export type { CodesInput, ValuesInput } from './input.js';
export { DEFAULT_VERDICT_THRESHOLDS } from './verdict.js';
export type { CastVerdict, VerdictThresholds } from './verdict.js';
export type { HistogramBand, HistogramBands, HistogramBin, Log2Histogram } from './histogram.js';
export type { WorstElement } from './worst.js';
export { compareFormats } from './compareFormats.js';
export type { FormatComparison } from './compareFormats.js';
export { divisionRisk, safeEpsilon } from './divisionRisk.js';
export type { DivisionRisk, DivisionRiskOptions, IndexedCount } from './divisionRisk.js';
export { checkConstants, WELL_KNOWN_CONSTANTS } from './constants.js';
export type { ConstantCheck, ConstantKind, ConstantRole, WellKnownConstant } from './constants.js';
export { accumulationRisk } from './accumulationRisk.js';
export type { AccumulationOp, AccumulationOptions, AccumulationRisk } from './accumulationRisk.js';
export { recommendLossScale } from './lossScale.js';
export type { GradientsInput, LossScaleOptions, LossScaleRecommendation, ScaledCounts } from './lossScale.js';
export { DynamicLossScaler, LossScaleMinimumError } from './dynamicLossScaler.js';
export type { DynamicLossScalerOptions, GradientArray, LossScaleAction, LossScaleEvent, LossScalerPreset, LossScalerState, UnscaleResult } from './dynamicLossScaler.js';
export { simulateLossScale } from './simulateLossScale.js';
export type { LossScaleSimulation, SimulateLossScaleOptions } from './simulateLossScale.js';
export { CAST_REPORT_JSON_SCHEMA, CAST_REPORT_SCHEMA, createCastReport, fromJsonNumber, summarizeAnalyses, toJsonSafe } from './report.js';
export type { CastReport, CastReportInput, CastReportJsonSchema, CastReportSummary, CastReportTensor, CastReportTensorInput, JsonNumber, Jsonified, JsonSchemaNode, ReportGenerator, ReportTarget } from './report.js';
export { simulateAdamStep } from './adamStep.js';
export type { AdamEstimateOptions, AdamImplementation, AdamStepCodes, AdamPrecision, AdamStateCast, AdamStepCounts, AdamStepEstimate, AdamStepOptions, AdamStepResult, AdamStepScalars, AdamStepState } from './adamStep.js';
export { analyzeTrainingTensor, createTrainingAnalyzer, hfLrSchedule, trainingReadiness } from './trainingReadiness.js';
export type { AbsorptionLevel, AbsorptionPoint, HfScheduleSpec, LrFunction, LrList, LrSchedule, OptimizerKind, ScheduleLevel, SchedulePoint, StepAndLr, TrainingAbsorption, TrainingAnalyzer, TrainingDecayFigures, TrainingEpsFigures, TrainingFinishOptions, TrainingGradientFigures, TrainingLossScale, TrainingMomentFigures, TrainingSchedule, TrainingImplementationFigures, TrainingMomentsReport, TrainingReadiness, TrainingReadinessOptions, TrainingTensorInfo, TrainingTensorInput, TrainingTensorReport, TrainingTensorStream } from './trainingReadiness.js';
