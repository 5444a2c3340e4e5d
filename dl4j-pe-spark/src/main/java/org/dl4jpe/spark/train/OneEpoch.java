package org.dl4jpe.spark.train;

import java.util.List;
import org.dl4jpe.zoo.data.ImageBatchIterator;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/** The rest of one epoch of an {@link ImageBatchIterator}: {@code reset()} keeps it where it is. */
final class OneEpoch implements DataSetIterator {
    private static final long serialVersionUID = 1L;
    private final transient ImageBatchIterator it;

    OneEpoch(ImageBatchIterator it) {
        this.it = it;
    }

    @Override
    public DataSet next(int num) {
        return it.next(num);
    }

    @Override
    public int inputColumns() {
        return it.inputColumns();
    }

    @Override
    public int totalOutcomes() {
        return it.totalOutcomes();
    }

    @Override
    public boolean resetSupported() {
        return true;
    }

    @Override
    public boolean asyncSupported() {
        return false;
    }

    /** Nothing: the epoch is placed by its owner (ParallelWrapper resets before it starts). */
    @Override
    public void reset() {}

    @Override
    public int batch() {
        return it.batch();
    }

    @Override
    public void setPreProcessor(DataSetPreProcessor preProcessor) {
        it.setPreProcessor(preProcessor);
    }

    @Override
    public DataSetPreProcessor getPreProcessor() {
        return it.getPreProcessor();
    }

    @Override
    public List<String> getLabels() {
        return it.getLabels();
    }

    @Override
    public boolean hasNext() {
        return it.hasNext();
    }

    @Override
    public DataSet next() {
        return it.next();
    }
}
